use super::*;

fn p(name: &str, domain: Domain) -> Param {
    Param { name: name.into(), domain, when: None }
}

fn example() -> Space {
    let mut dropout = p("dropout", Domain::float(0.0, 0.5, false, Some(2)).unwrap());
    dropout.when = Some(Condition { param: "momentum".into(), value: ParamValue::Bool(true) });
    Space::new(
        vec![
            p("lr", Domain::float(1e-4, 1e-1, true, Some(3)).unwrap()),
            p("batch", Domain::choice(vec![16, 32, 64, 128].into_iter().map(ParamValue::Int).collect()).unwrap()),
            p("momentum", Domain::Bool),
            p("width", Domain::int(8, 64, false, Some(3)).unwrap()),
            dropout,
        ],
        10,
    )
}

#[test]
fn layout_and_names() {
    let s = example();
    assert_eq!(s.n_bits(), 3 + 2 + 1 + 3 + 2 + 10);
    assert_eq!(s.bit_name(0), "lr[0]");
    assert_eq!(s.bit_name(5), "momentum");
    assert_eq!(s.bit_name(11), "dummy[0]");
    assert_eq!(s.monomial_name(&[1, 5]), "lr[1] * momentum");
    assert_eq!(s.monomial_name(&[]), "1");
}

#[test]
fn round_trip_every_level() {
    let s = example();
    for bits in 0u32..(1 << 11) {
        let x: Vec<i8> = (0..s.n_bits()).map(|b| if b < 11 && bits >> b & 1 == 1 { 1 } else { -1 }).collect();
        let c = s.decode(&x);
        let back = s.encode(&c).unwrap();
        assert_eq!(s.decode(&back), c);
        let momentum = c.0[2].clone().unwrap();
        assert_eq!(c.0[4].is_some(), momentum == ParamValue::Bool(true));
    }
}

#[test]
fn log_levels_are_geometric() {
    let d = Domain::float(1e-4, 1e-1, true, Some(3)).unwrap();
    let levels: Vec<f64> = (0..8)
        .map(|i| match d.level(i) {
            ParamValue::Float(x) => x,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(levels[0], 1e-4);
    assert_eq!(levels[7], 1e-1);
    for w in levels.windows(2) {
        assert!((w[1] / w[0] - 10f64.powf(3.0 / 7.0)).abs() < 1e-12);
    }
}

#[test]
fn choice_of_three_on_two_bits_wraps_modulo() {
    let d = Domain::choice(vec![ParamValue::Str("a".into()), ParamValue::Str("b".into()), ParamValue::Str("c".into())])
        .unwrap();
    assert_eq!(d.bits(), 2);
    let got: Vec<ParamValue> = (0..4).map(|i| d.level(i)).collect();
    assert_eq!(got[3], ParamValue::Str("a".into()));
    assert_eq!(d.index_of(&ParamValue::Str("c".into())), Some(2));
}

#[test]
fn one_level_range_has_no_bits() {
    let d = Domain::int(5, 5, false, None).unwrap();
    assert_eq!(d.bits(), 0);
    assert_eq!(d.level(0), ParamValue::Int(5));
    let f = Domain::float(0.3, 0.3, false, Some(4)).unwrap();
    assert_eq!(f.bits(), 0);
    let s = Space::new(vec![p("k", d)], 0);
    assert_eq!(s.n_bits(), 0);
    assert_eq!(s.decode(&[]), Config(vec![Some(ParamValue::Int(5))]));
}

#[test]
fn bad_ranges_are_rejected() {
    assert_eq!(Domain::float(0.0, 1.0, true, None), Err(SpaceError::LogNonPositive("0".into())));
    assert_eq!(Domain::int(-1, 8, true, None), Err(SpaceError::LogNonPositive("-1".into())));
    assert!(matches!(Domain::int(3, 1, false, None), Err(SpaceError::Inverted { .. })));
    assert_eq!(Domain::float(0.0, 1.0, false, Some(0)), Err(SpaceError::ZeroBits));
    assert!(matches!(Domain::int(0, 2, false, Some(3)), Err(SpaceError::IntBitsExceedRange { fit: 2, .. })));
    assert_eq!(Domain::choice(vec![]), Err(SpaceError::EmptyChoice));
}

#[test]
fn plain_bits_read_as_signs() {
    let s = Space::plain_bits(3);
    let c = s.decode(&[1, -1, 1]);
    assert_eq!(c.0, vec![Some(ParamValue::Int(1)), Some(ParamValue::Int(-1)), Some(ParamValue::Int(1))]);
}
