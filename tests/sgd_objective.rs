//! The `sgd` objective: trials are deterministic, read the tuned settings, and the
//! example study's objective evaluates as shipped.

use std::path::Path;

use harmonica::harmonica::{Outcome, TrialRequest};
use harmonica::runner::Prepared;
use harmonica::space::{Config, ParamValue};

fn prepared() -> Prepared {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sgd_tuning.yaml");
    let study = harmonica::study::load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    Prepared::new(study).unwrap()
}

fn bits(p: &Prepared, lr: f64, identity: bool) -> Vec<i8> {
    let values = [
        ParamValue::Float(lr),
        ParamValue::Int(32),
        ParamValue::Float(0.4),
        ParamValue::Float(0.0),
        ParamValue::Int(400),
        ParamValue::Bool(identity),
    ];
    let config = Config(
        p.space
            .params()
            .iter()
            .zip(values)
            .map(|(param, v)| param.domain.index_of(&v).map(|i| param.domain.level(i)))
            .collect(),
    );
    let mut x = p.space.encode(&config).unwrap();
    // The dummy bits do nothing.
    let n = x.len();
    x[n - 1] = -x[n - 1];
    x
}

fn value(p: &Prepared, id: usize, bits: Vec<i8>) -> f64 {
    match p.evaluate(&TrialRequest { id, bits, budget: None }) {
        Outcome::Value(v) => v,
        Outcome::Failed(why) => panic!("trial failed: {why}"),
    }
}

#[test]
fn trials_are_deterministic_and_read_the_settings() {
    let p = prepared();
    let lr = p.space.params()[0].domain.level(3);
    let ParamValue::Float(lr) = lr else { panic!("lr is a float") };
    let a = value(&p, 5, bits(&p, lr, true));
    assert_eq!(a, value(&p, 5, bits(&p, lr, true)));
    // Another trial id draws another start and other batches.
    assert_ne!(a, value(&p, 6, bits(&p, lr, true)));
    // The identity mapping converges faster than the vanilla net from the same start.
    let vanilla = value(&p, 5, bits(&p, lr, false));
    assert!(a < vanilla, "reslink log-loss {a} vs vanilla {vanilla}");
}
