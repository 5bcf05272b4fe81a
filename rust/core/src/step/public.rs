//! The public claim of a step-chunk proof and its canonical byte encoding.

use crate::commit::domain::DIGEST_LEN;
use crate::commit::Digest;
use crate::error::{Error, Result};
use crate::optim::{AdamWScalars, SgdScalars};
use crate::wire::Reader;

use super::{MAX_CHUNK_ELEMS, STEP_PUBLIC_MAGIC};

/// Which optimizer a step proof is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Optimizer {
    /// `torch.optim.SGD`.
    Sgd,
    /// `torch.optim.AdamW`.
    AdamW,
}

impl Optimizer {
    /// The name (`"sgd"`, `"adamw"`), as the Python layer spells it.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::AdamW => "adamw",
        }
    }

    fn tag(self) -> u8 {
        match self {
            Optimizer::Sgd => 1,
            Optimizer::AdamW => 2,
        }
    }
}

/// The optimizer's FP32 scalars and flags for one step (public).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepScalars {
    /// SGD.
    Sgd(SgdScalars),
    /// AdamW.
    AdamW(AdamWScalars),
}

impl StepScalars {
    /// The optimizer.
    pub fn optimizer(&self) -> Optimizer {
        match self {
            StepScalars::Sgd(_) => Optimizer::Sgd,
            StepScalars::AdamW(_) => Optimizer::AdamW,
        }
    }

    /// Number of optimizer buffers read before the step (`init_buf`: SGD's first
    /// momentum step, where torch creates the buffer).
    pub fn buffers_before(&self, init_buf: bool) -> usize {
        match self {
            StepScalars::Sgd(s) => (s.use_momentum && !init_buf) as usize,
            StepScalars::AdamW(_) => 2,
        }
    }

    /// Number of optimizer buffers written by the step.
    pub fn buffers_after(&self) -> usize {
        match self {
            StepScalars::Sgd(s) => s.use_momentum as usize,
            StepScalars::AdamW(_) => 2,
        }
    }
}

/// The public statement of one step-chunk proof: "the chunk committed in
/// `leaves_after` is what the optimizer computes from the chunks committed in
/// `leaves_before` and the gradient chunk, with these scalars".
///
/// `leaves` are in slot order: parameter before, gradient, buffers before (SGD:
/// `momentum_buffer` if it exists; AdamW: `exp_avg`, `exp_avg_sq`), parameter after,
/// buffers after. Before-leaves are salted under step `step`'s key, after-leaves under
/// step `step + 1`'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepChunkPublic {
    /// Scalars and flags (they fix the optimizer and the per-element program).
    pub scalars: StepScalars,
    /// The optimizer step (torch's step count after its increment for AdamW).
    pub step: u64,
    /// Elements in the chunk.
    pub n: usize,
    /// SGD only: this is the momentum buffer's first step (no buffer before).
    pub init_buf: bool,
    /// Leaf digests in slot order.
    pub leaves: Vec<Digest>,
}

impl StepChunkPublic {
    /// The optimizer.
    pub fn optimizer(&self) -> Optimizer {
        self.scalars.optimizer()
    }

    /// Number of leaves read before the step (parameter, gradient, buffers).
    pub fn n_before(&self) -> usize {
        2 + self.scalars.buffers_before(self.init_buf)
    }

    /// Number of leaves written by the step (parameter, buffers).
    pub fn n_after(&self) -> usize {
        1 + self.scalars.buffers_after()
    }

    /// Checks the claim's internal consistency (sizes, flags, leaf count).
    pub fn validate(&self) -> Result<()> {
        if self.n == 0 || self.n > MAX_CHUNK_ELEMS {
            return Err(Error::InvalidInput(format!(
                "a step chunk holds 1 to {MAX_CHUNK_ELEMS} elements, got {}",
                self.n
            )));
        }
        match &self.scalars {
            StepScalars::Sgd(s) => {
                if self.init_buf && !s.use_momentum {
                    return Err(Error::InvalidInput(
                        "init_buf (first momentum step) without momentum".into(),
                    ));
                }
                if s.nesterov && !s.use_momentum {
                    return Err(Error::InvalidInput("nesterov without momentum".into()));
                }
            }
            StepScalars::AdamW(s) => {
                if self.init_buf {
                    return Err(Error::InvalidInput("init_buf is an SGD flag".into()));
                }
                if s.step != self.step {
                    return Err(Error::InvalidInput(format!(
                        "AdamW scalars are for step {}, the chunk is at step {}",
                        s.step, self.step
                    )));
                }
            }
        }
        let want = self.n_before() + self.n_after();
        if self.leaves.len() != want {
            return Err(Error::InvalidInput(format!(
                "{} step with these flags has {want} leaves, got {}",
                self.optimizer().name(),
                self.leaves.len()
            )));
        }
        Ok(())
    }

    /// The canonical encoding (versioned; see the docs of `step`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + DIGEST_LEN * self.leaves.len());
        out.extend_from_slice(STEP_PUBLIC_MAGIC);
        out.push(self.optimizer().tag());
        out.extend_from_slice(&self.step.to_le_bytes());
        out.extend_from_slice(&(self.n as u32).to_le_bytes());
        let b = |out: &mut Vec<u8>, x: bool| out.push(x as u8);
        let w = |out: &mut Vec<u8>, x: u32| out.extend_from_slice(&x.to_le_bytes());
        match &self.scalars {
            StepScalars::Sgd(s) => {
                out.extend_from_slice(&s.lr_f64.to_le_bytes());
                w(&mut out, s.neg_lr);
                b(&mut out, s.use_weight_decay);
                w(&mut out, s.weight_decay);
                b(&mut out, s.use_momentum);
                w(&mut out, s.momentum);
                w(&mut out, s.one_minus_dampening);
                b(&mut out, s.nesterov);
                b(&mut out, s.maximize);
                b(&mut out, self.init_buf);
            }
            StepScalars::AdamW(s) => {
                out.extend_from_slice(&s.step.to_le_bytes());
                out.extend_from_slice(&s.lr_f64.to_le_bytes());
                b(&mut out, s.use_weight_decay);
                w(&mut out, s.decay);
                w(&mut out, s.lerp_weight);
                b(&mut out, s.lerp_small);
                for x in [
                    s.lerp_coeff,
                    s.beta2,
                    s.one_minus_beta2,
                    s.bias_correction2_sqrt,
                    s.eps,
                    s.neg_step_size,
                ] {
                    w(&mut out, x);
                }
                b(&mut out, s.maximize);
            }
        }
        out.push(self.leaves.len() as u8);
        for l in &self.leaves {
            out.extend_from_slice(l.as_bytes());
        }
        out
    }

    /// Parses [`StepChunkPublic::to_bytes`] output; anything else is
    /// [`Error::Malformed`] (truncated, trailing bytes, unknown version or optimizer,
    /// a flag byte other than 0 / 1, inconsistent sizes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "step public values");
        let magic = r.take(STEP_PUBLIC_MAGIC.len(), "magic")?;
        if magic != STEP_PUBLIC_MAGIC {
            return Err(r.error(format!(
                "not {:?} (unknown format or version)",
                String::from_utf8_lossy(STEP_PUBLIC_MAGIC)
            )));
        }
        let tag = r.u8("optimizer")?;
        let step = r.u64("step")?;
        let n = r.u32("n")? as usize;
        let flag = |r: &mut Reader<'_>, f: &str| -> Result<bool> {
            match r.u8(f)? {
                0 => Ok(false),
                1 => Ok(true),
                x => Err(r.error(format!("flag {f} is {x}, not 0 or 1"))),
            }
        };
        let (scalars, init_buf) = match tag {
            1 => {
                let lr_f64 = r.u64("lr_f64")?;
                let neg_lr = r.u32("neg_lr")?;
                let use_weight_decay = flag(&mut r, "use_weight_decay")?;
                let weight_decay = r.u32("weight_decay")?;
                let use_momentum = flag(&mut r, "use_momentum")?;
                let momentum = r.u32("momentum")?;
                let one_minus_dampening = r.u32("one_minus_dampening")?;
                let nesterov = flag(&mut r, "nesterov")?;
                let maximize = flag(&mut r, "maximize")?;
                let init_buf = flag(&mut r, "init_buf")?;
                let s = SgdScalars {
                    lr_f64,
                    neg_lr,
                    use_weight_decay,
                    weight_decay,
                    use_momentum,
                    momentum,
                    one_minus_dampening,
                    nesterov,
                    maximize,
                };
                (StepScalars::Sgd(s), init_buf)
            }
            2 => {
                let s_step = r.u64("scalars.step")?;
                let lr_f64 = r.u64("lr_f64")?;
                let use_weight_decay = flag(&mut r, "use_weight_decay")?;
                let decay = r.u32("decay")?;
                let lerp_weight = r.u32("lerp_weight")?;
                let lerp_small = flag(&mut r, "lerp_small")?;
                let lerp_coeff = r.u32("lerp_coeff")?;
                let beta2 = r.u32("beta2")?;
                let one_minus_beta2 = r.u32("one_minus_beta2")?;
                let bias_correction2_sqrt = r.u32("bias_correction2_sqrt")?;
                let eps = r.u32("eps")?;
                let neg_step_size = r.u32("neg_step_size")?;
                let maximize = flag(&mut r, "maximize")?;
                let s = AdamWScalars {
                    step: s_step,
                    lr_f64,
                    use_weight_decay,
                    decay,
                    lerp_weight,
                    lerp_small,
                    lerp_coeff,
                    beta2,
                    one_minus_beta2,
                    bias_correction2_sqrt,
                    eps,
                    neg_step_size,
                    maximize,
                };
                (StepScalars::AdamW(s), false)
            }
            t => return Err(r.error(format!("unknown optimizer tag {t}"))),
        };
        let k = r.u8("leaf count")? as usize;
        let mut leaves = Vec::with_capacity(k);
        for i in 0..k {
            let d: [u8; DIGEST_LEN] = r
                .take(DIGEST_LEN, &format!("leaf {i}"))?
                .try_into()
                .expect("length checked");
            leaves.push(Digest::from(d));
        }
        if !r.rest().is_empty() {
            return Err(r.error(format!("{} trailing bytes", r.rest().len())));
        }
        let p = StepChunkPublic {
            scalars,
            step,
            n,
            init_buf,
            leaves,
        };
        p.validate().map_err(|e| r.error(e.to_string()))?;
        Ok(p)
    }
}
