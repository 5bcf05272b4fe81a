//! Times the commitment phases of one proof under zkattest's ZK configuration, outside
//! the batch prover: the main-trace commitment of a `W x 2^LOG_ROWS` trace, the
//! quotient-chunk LDEs and their commitment, and the ZK randomization polynomial.
//! Whatever `floor` spends beyond these is constraint evaluation and the FRI opening.
//!
//! ```text
//! cargo run --release -p zkattest-core --example pcs_phases -- [LOG_ROWS] [W] [LOG_CHUNKS]
//! ```

use std::time::Instant;

use p3_batch_stark::StarkGenericConfig;
use p3_commit::{Pcs, PolynomialSpace};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_core::prover::{zk_config, Challenge, Val, ZkConfig};

type P = <ZkConfig as StarkGenericConfig>::Pcs;
type Ch = <ZkConfig as StarkGenericConfig>::Challenger;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("integer argument"))
        .collect();
    let log_rows = args.first().copied().unwrap_or(18);
    let width = args.get(1).copied().unwrap_or(41);
    // log2 of the quotient degree (before ZK): 1 for degree-2 AIRs, 2 for degree 3-4.
    let log_chunks = args.get(2).copied().unwrap_or(2);

    let config = zk_config();
    let pcs = config.pcs();
    let n = 1usize << log_rows;
    let values: Vec<Val> = (0..width * n).map(|i| Val::from_u32(i as u32)).collect();
    let trace = RowMajorMatrix::new(values, width);
    let trace_domain = <P as Pcs<Challenge, Ch>>::natural_domain_for_degree(pcs, n);
    let ext_domain = <P as Pcs<Challenge, Ch>>::natural_domain_for_degree(pcs, 2 * n);

    let t = Instant::now();
    let (_c, _data) = <P as Pcs<Challenge, Ch>>::commit(pcs, [(ext_domain, trace)]);
    println!(
        "main commit     W={width} 2^{log_rows}: {:7.3} s",
        t.elapsed().as_secs_f64()
    );

    // Quotient: 2^(log_chunks + 1) chunks of one extension column each (4 base columns).
    let q_size = (2 * n) << log_chunks;
    let quotient_domain = ext_domain.create_disjoint_domain(q_size);
    let n_chunks = 1 << (log_chunks + 1);
    let q_flat = RowMajorMatrix::new(
        (0..4 * q_size).map(|i| Val::from_u32(i as u32)).collect(),
        4,
    );
    let t = Instant::now();
    let chunk_mats = quotient_domain.split_evals(n_chunks, q_flat);
    let chunk_domains = quotient_domain.split_domains(n_chunks);
    let ldes = <P as Pcs<Challenge, Ch>>::get_quotient_ldes(
        pcs,
        chunk_domains.iter().copied().zip(chunk_mats),
        n_chunks,
    );
    let t_lde = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let _q = <P as Pcs<Challenge, Ch>>::commit_ldes(pcs, ldes);
    println!(
        "quotient        {n_chunks} chunks: LDE {t_lde:7.3} s, commit {:7.3} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let _r = <P as Pcs<Challenge, Ch>>::get_opt_randomization_poly_commitment(pcs, [ext_domain]);
    println!("random poly     commit {:7.3} s", t.elapsed().as_secs_f64());
    let _ = trace_domain;
}
