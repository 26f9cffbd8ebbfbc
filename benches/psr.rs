//! The PSR benchmark's Rust side (driven by `benches/psr.sh`).
//!
//! `gen N T SEED FILE` writes a problem: T uniform ±1 samples over N bits and
//! y = five planted degree-3 parities (weights ±[100, 150], like the paper's
//! benchmark) plus 4 U[0,1) noise, from a xorshift64* stream. `psr_sklearn.py` and
//! `fit` read the same file, so every solver sees the same data.
//!
//! `fit SOLVER FILE ALPHA` runs one solver in this process and prints one JSON line:
//! fit seconds, the process's peak RSS, the top-5 monomials and solver counters.
//! SOLVER is `fast` (the matrix-free solver, fit only), `stage` (a whole PSR stage:
//! design, fit, top terms, minimization) or `linfa` (dense matrix + linfa-elasticnet).

use std::time::Instant;

use harmonica::harmonica::lasso::{self, Params, ParityDesign};
use harmonica::harmonica::{features, minimize, recovery};
use ndarray::Array1;

const DEGREE: usize = 3;
const TOP: usize = 5;

/// xorshift64*: tiny, seeded, and the same everywhere.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Data {
    n: usize,
    samples: Vec<Vec<i8>>,
    y: Vec<f64>,
}

fn generate(n: usize, t: usize, seed: u64) -> (Data, Vec<(f64, Vec<usize>)>) {
    let mut rng = XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let planted: Vec<(f64, Vec<usize>)> = (0..5)
        .map(|_| {
            let mut s = Vec::new();
            while s.len() < 3 {
                let v = rng.below(n);
                if !s.contains(&v) {
                    s.push(v);
                }
            }
            s.sort_unstable();
            let sign = if rng.next() & 1 == 1 { 1.0 } else { -1.0 };
            (sign * (100.0 + 50.0 * rng.uniform()), s)
        })
        .collect();
    let samples: Vec<Vec<i8>> =
        (0..t).map(|_| (0..n).map(|_| if rng.next() >> 63 == 1 { 1 } else { -1 }).collect()).collect();
    let y = samples
        .iter()
        .map(|x| planted.iter().map(|(w, s)| w * features::parity(x, s)).sum::<f64>() + 4.0 * rng.uniform())
        .collect();
    (Data { n, samples, y }, planted)
}

fn write(data: &Data, path: &str) -> std::io::Result<()> {
    let mut out = format!("{} {}\n", data.n, data.samples.len());
    for (x, y) in data.samples.iter().zip(&data.y) {
        out.extend(x.iter().map(|&b| if b > 0 { '1' } else { '0' }));
        out.push_str(&format!(" {y:.17e}\n"));
    }
    std::fs::write(path, out)
}

fn read(path: &str) -> Result<Data, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<usize> = lines.next().unwrap_or("").split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let [n, _t] = header[..] else { return Err(format!("{path}: bad header")) };
    let mut samples = Vec::new();
    let mut y = Vec::new();
    for line in lines {
        let (bits, value) = line.split_once(' ').ok_or_else(|| format!("{path}: bad line"))?;
        samples.push(bits.bytes().map(|b| if b == b'1' { 1 } else { -1 }).collect());
        y.push(value.trim().parse::<f64>().map_err(|e| format!("{path}: {e}"))?);
    }
    Ok(Data { n, samples, y })
}

/// Peak resident memory of this process in MB (`getrusage`'s maxrss, as Python's
/// `resource` reports it for the scikit-learn side).
fn peak_rss_mb() -> f64 {
    // SAFETY: getrusage only writes the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return f64::NAN;
    }
    usage.ru_maxrss as f64 / 1024.0
}

/// CPU seconds used so far by every thread of this process, so that a loaded
/// machine shows in wall time but not here (Python's `time.process_time`).
fn cpu_seconds() -> f64 {
    // SAFETY: clock_gettime only writes the zeroed struct it is given.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// scikit-learn's objective (1/(2T)) ||y - X a - b||^2 + alpha ||a||_1 at a fit,
/// with the best intercept for its coefficients (the residual's mean removed), so
/// every solver's point is scored the same way.
fn objective(data: &Data, fit: &recovery::LassoFit, layout: &features::Layout, alpha: f64) -> f64 {
    let terms: Vec<(f64, Vec<usize>)> =
        fit.nonzeros.iter().filter_map(|&(c, a)| layout.monomial(c).map(|m| (a, m))).collect();
    let mut r: Vec<f64> = data
        .samples
        .iter()
        .zip(&data.y)
        .map(|(x, y)| y - terms.iter().map(|(a, m)| a * features::parity(x, m)).sum::<f64>())
        .collect();
    let t = r.len().max(1) as f64;
    let mean = r.iter().sum::<f64>() / t;
    r.iter_mut().for_each(|v| *v -= mean);
    0.5 * r.iter().map(|v| v * v).sum::<f64>() / t + alpha * fit.nonzeros.iter().map(|(_, a)| a.abs()).sum::<f64>()
}

fn json_terms(terms: &[Vec<usize>]) -> String {
    let inner: Vec<String> = terms.iter().map(|t| format!("{t:?}")).collect();
    format!("[{}]", inner.join(","))
}

fn fit(solver: &str, path: &str, alpha: f64) -> Result<String, String> {
    let data = read(path)?;
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let design_done;
    let (fit, layout) = match solver {
        "fast" | "stage" => {
            let design = ParityDesign::new(&data.samples, data.n, DEGREE).map_err(|e| e.to_string())?;
            design_done = (start.elapsed().as_secs_f64(), cpu_seconds());
            let fit = lasso::fit(&design, &data.y, &Params::new(alpha), None);
            (fit, design.layout().clone())
        }
        "linfa" => {
            let x = features::matrix(&data.samples, &features::monomials(data.n, DEGREE));
            design_done = (start.elapsed().as_secs_f64(), cpu_seconds());
            let fit = recovery::fit_linfa(&x, &Array1::from_vec(data.y.clone()), alpha).map_err(|e| e.to_string())?;
            (fit, features::Layout::new(data.n, DEGREE))
        }
        other => return Err(format!("unknown solver {other}")),
    };
    let (design_s, design_cpu) = design_done;
    let fit_s = start.elapsed().as_secs_f64() - design_s;
    let fit_cpu_s = cpu_seconds() - design_cpu;
    let top: Vec<Vec<usize>> =
        recovery::top_terms(&fit.nonzeros, TOP).iter().filter_map(|&(c, _)| layout.monomial(c)).collect();
    let poly: Vec<(f64, Vec<usize>)> =
        recovery::top_terms(&fit.nonzeros, TOP).iter().zip(&top).map(|(&(_, c), m)| (c, m.clone())).collect();
    let best = minimize::minimizers(&poly, 1, 24).map_err(|e| e.to_string())?;
    let stage_s = start.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu_start;
    let objective = objective(&data, &fit, &layout, alpha);
    let s = &fit.stats;
    // `fast` reports the fit alone (what scikit-learn's time measures); `stage` and
    // `linfa` also name the feature build. CPU times count every thread: `fit_cpu_s` the fit,
    // `stage_cpu_s` everything after reading the data.
    Ok(format!(
        "{{\"solver\":\"{solver}\",\"fit_s\":{fit_s:.6},\"design_s\":{design_s:.6},\"stage_s\":{stage_s:.6},\"fit_cpu_s\":{fit_cpu_s:.6},\"stage_cpu_s\":{cpu_s:.6},\
         \"maxrss_mb\":{:.1},\"objective\":{objective:.6},\"top\":{},\"nonzeros\":{},\"passes\":{},\"sweeps\":{},\"screened\":{},\
         \"converged\":{},\"predicted_min\":{:.6}}}",
        peak_rss_mb(),
        json_terms(&top),
        fit.nonzeros.len(),
        s.passes,
        s.sweeps,
        s.screened,
        s.converged,
        best.first().map_or(0.0, |b| b.predicted),
    ))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let parse = |i: usize| args.get(i).and_then(|a| a.parse::<f64>().ok());
    let result = match args.first().map(String::as_str) {
        Some("gen") => match (parse(1), parse(2), parse(3), args.get(4)) {
            (Some(n), Some(t), Some(seed), Some(path)) => {
                let (data, planted) = generate(n as usize, t as usize, seed as u64);
                let terms: Vec<Vec<usize>> = planted.into_iter().map(|(_, s)| s).collect();
                write(&data, path)
                    .map(|()| format!("{{\"planted\":{}}}", json_terms(&terms)))
                    .map_err(|e| e.to_string())
            }
            _ => Err("usage: psr gen N T SEED FILE".into()),
        },
        Some("fit") => match (args.get(1), args.get(2), parse(3)) {
            (Some(solver), Some(path), Some(alpha)) => fit(solver, path, alpha),
            _ => Err("usage: psr fit fast|stage|linfa FILE ALPHA".into()),
        },
        // `cargo bench` without arguments: a quick smoke run of one problem.
        _ => {
            let path = std::env::temp_dir().join("harmonica-psr-smoke.txt");
            let path = path.to_string_lossy().into_owned();
            let (data, _) = generate(60, 300, 1);
            write(&data, &path).map_err(|e| e.to_string()).and_then(|()| fit("stage", &path, 3.0))
        }
    };
    match result {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("psr: {e}");
            std::process::exit(2);
        }
    }
}
