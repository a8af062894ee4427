//! The wasmtime Rust API baseline for issue 7 (`TypedFunc::call`,
//! `Func::call`, `func_wrap`, `Func::new`, `InstancePre`, ...): the floor no
//! wrapper can beat. Same WAT inputs, same engine configuration (libwt's
//! defaults: epoch interruption on, wasm threads off) and the same
//! measurement method as `benches/bench.c`.
//!
//!     rust-api-bench WAT_DIR OUT.json      (BENCH_QUICK=1 for a smoke run)

use std::fmt::Write as _;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use wasmtime::{
    Caller, Config, Engine, FuncType, Instance, InstancePre, Linker, Module, Store, Val, ValType,
};

const MEM_OFF_IN: usize = 1024;
const MEM_OFF_OUT: usize = 8192;
const MEM_LEN: usize = 4096;

struct Res {
    case: &'static str,
    api: &'static str,
    variant: String,
    unit: &'static str,
    value: f64,
    min: f64,
    n: u64,
    samples: Vec<f64>,
}

struct Bench {
    reps: usize,
    target_ms: f64,
    results: Vec<Res>,
}

fn median(v: &[f64]) -> f64 {
    let mut t = v.to_vec();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = t.len();
    if n % 2 == 1 {
        t[n / 2]
    } else {
        (t[n / 2 - 1] + t[n / 2]) / 2.0
    }
}

impl Bench {
    fn record(
        &mut self,
        case: &'static str,
        api: &'static str,
        variant: &str,
        unit: &'static str,
        samples: Vec<f64>,
        n: u64,
    ) {
        let value = median(&samples);
        let min = samples.iter().cloned().fold(f64::INFINITY, f64::min);
        eprintln!("  case {case:<2} {api:<8} {variant:<58} {value:>12.1} {unit}");
        self.results.push(Res {
            case,
            api,
            variant: variant.to_string(),
            unit,
            value,
            min,
            n,
            samples,
        });
    }

    /// Runs `f(n)` with n calibrated to ~target_ms, `reps` times; ns per op.
    fn run(
        &mut self,
        case: &'static str,
        variant: &str,
        max_n: u64,
        mut f: impl FnMut(u64),
    ) -> f64 {
        let mut n = 1u64;
        let mut t;
        loop {
            let t0 = Instant::now();
            f(n);
            t = t0.elapsed().as_nanos() as f64;
            if t >= self.target_ms * 1e6 / 8.0 || n >= max_n {
                break;
            }
            n = (n * 4).min(max_n);
        }
        let want = n as f64 * self.target_ms * 1e6 / t.max(1.0);
        let n = (want as u64).clamp(1, max_n);
        let samples: Vec<f64> = (0..self.reps)
            .map(|_| {
                let t0 = Instant::now();
                f(n);
                t0.elapsed().as_nanos() as f64 / n as f64
            })
            .collect();
        self.record(case, "Rust API", variant, "ns/op", samples, n);
        self.results.last().unwrap().value
    }
}

fn engine() -> Engine {
    let mut c = Config::new();
    c.epoch_interruption(true);
    c.wasm_threads(false);
    Engine::new(&c).unwrap()
}

fn store(e: &Engine) -> Store<()> {
    let mut s = Store::new(e, ());
    s.set_epoch_deadline(1);
    s
}

fn mem_rw(caller: &mut Caller<'_, ()>, buf: &mut [u8; MEM_LEN]) {
    let mem = caller.get_export("memory").unwrap().into_memory().unwrap();
    mem.read(&*caller, MEM_OFF_IN, buf).unwrap();
    mem.write(&mut *caller, MEM_OFF_OUT, buf).unwrap();
}

/// Linker with `func_wrap` (typed) host functions.
fn typed_linker(e: &Engine) -> Linker<()> {
    let mut l = Linker::new(e);
    l.func_wrap("env", "cb", |x: i32| x.wrapping_add(1))
        .unwrap();
    l.func_wrap("env", "nop", || {}).unwrap();
    l.func_wrap("env", "mem", |mut c: Caller<'_, ()>| {
        let mut buf = [0u8; MEM_LEN];
        mem_rw(&mut c, &mut buf);
        std::hint::black_box(&buf);
    })
    .unwrap();
    l.func_wrap("env", "f1", |x: i32| x).unwrap();
    l.func_wrap("env", "f2", || {}).unwrap();
    l
}

/// Linker with `Func::new`-style (dynamic, `Val`-based) host functions.
fn dynamic_linker(e: &Engine) -> Linker<()> {
    let mut l = Linker::new(e);
    let ii = FuncType::new(e, [ValType::I32], [ValType::I32]);
    let v = FuncType::new(e, [], []);
    l.func_new("env", "cb", ii.clone(), |_, a, r| {
        r[0] = Val::I32(a[0].unwrap_i32().wrapping_add(1));
        Ok(())
    })
    .unwrap();
    l.func_new("env", "nop", v.clone(), |_, _, _| Ok(()))
        .unwrap();
    l.func_new("env", "mem", v.clone(), |mut c, _, _| {
        let mut buf = [0u8; MEM_LEN];
        mem_rw(&mut c, &mut buf);
        std::hint::black_box(&buf);
        Ok(())
    })
    .unwrap();
    l.func_new("env", "f1", ii, |_, a, r| {
        r[0] = a[0].clone();
        Ok(())
    })
    .unwrap();
    l.func_new("env", "f2", v, |_, _, _| Ok(())).unwrap();
    l
}

fn add_calls(store: &mut Store<()>, add: &wasmtime::TypedFunc<(i32, i32), i32>, n: u64) {
    let mut r = 0i32;
    for _ in 0..n {
        r = add.call(&mut *store, (r, 1)).unwrap();
    }
    assert_eq!(r as u32, n as u32);
}

/// Total calls/s of `threads` threads, each with its own store.
fn threads_run(
    e: &Engine,
    module: &Module,
    linker: &Linker<()>,
    threads: usize,
    calls: u64,
) -> f64 {
    let barrier = Arc::new(Barrier::new(threads));
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            let (e, m, l, b) = (e.clone(), module.clone(), linker.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut s = store(&e);
                let i = l.instantiate(&mut s, &m).unwrap();
                let add = i.get_typed_func::<(i32, i32), i32>(&mut s, "add").unwrap();
                add_calls(&mut s, &add, 1000);
                b.wait();
                let t0 = Instant::now();
                add_calls(&mut s, &add, calls);
                (t0, Instant::now())
            })
        })
        .collect();
    let ts: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    let t0 = ts.iter().map(|t| t.0).min().unwrap();
    let t1 = ts.iter().map(|t| t.1).max().unwrap();
    calls as f64 * threads as f64 / (t1 - t0).as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} WAT_DIR OUT.json", args[0]);
        std::process::exit(2);
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let mut b = Bench {
        reps: if quick { 3 } else { 11 },
        target_ms: if quick { 3.0 } else { 30.0 },
        results: vec![],
    };
    let read = |name: &str| std::fs::read_to_string(format!("{}/{name}", args[1])).unwrap();
    let calls_wasm = wat::parse_str(read("calls.wat")).unwrap();
    let small_wasm = wat::parse_str(read("small.wat")).unwrap();
    let big_wasm = wat::parse_str(read("compile200.wat")).unwrap();
    eprintln!(
        "wasmtime Rust API, {} reps, ~{} ms per rep",
        b.reps, b.target_ms
    );

    let e = engine();
    let calls = Module::new(&e, &calls_wasm).unwrap();
    let small = Module::new(&e, &small_wasm).unwrap();
    let tl = typed_linker(&e);
    let dl = dynamic_linker(&e);
    let mut s = store(&e);
    let ti: Instance = tl.instantiate(&mut s, &calls).unwrap();
    let di: Instance = dl.instantiate(&mut s, &calls).unwrap();

    // ---- case 1 ----
    let add = ti.get_typed_func::<(i32, i32), i32>(&mut s, "add").unwrap();
    b.run("1", "TypedFunc::call", u64::MAX, |n| {
        add_calls(&mut s, &add, n)
    });
    let addf = ti.get_func(&mut s, "add").unwrap();
    b.run("1", "Func::call", u64::MAX, |n| {
        let mut r = [Val::I32(0)];
        for _ in 0..n {
            let a = [r[0].clone(), Val::I32(1)];
            addf.call(&mut s, &a, &mut r).unwrap();
        }
        assert_eq!(r[0].unwrap_i32() as u32, n as u32);
    });

    // ---- case 2 ----
    let mixed = ti
        .get_typed_func::<(i32, i64, f32, f64), (i64, f64)>(&mut s, "mixed")
        .unwrap();
    b.run("2", "TypedFunc::call", u64::MAX, |n| {
        let mut r = (0, 0.0);
        for i in 0..n {
            r = mixed.call(&mut s, (i as i32, 1000, 1.5, 2.25)).unwrap();
        }
        assert_eq!(r.1, 3.75);
    });
    let mixedf = ti.get_func(&mut s, "mixed").unwrap();
    b.run("2", "Func::call", u64::MAX, |n| {
        let mut r = [Val::I64(0), Val::F64(0)];
        for i in 0..n {
            let a = [
                Val::I32(i as i32),
                Val::I64(1000),
                Val::F32(1.5f32.to_bits()),
                Val::F64(2.25f64.to_bits()),
            ];
            mixedf.call(&mut s, &a, &mut r).unwrap();
        }
        assert_eq!(r[1].unwrap_f64(), 3.75);
    });

    // ---- case 3 ----
    let rt = ti.get_typed_func::<i32, i32>(&mut s, "roundtrip").unwrap();
    b.run("3", "TypedFunc::call + func_wrap", u64::MAX, |n| {
        let mut r = 0;
        for _ in 0..n {
            r = rt.call(&mut s, r).unwrap();
        }
        assert_eq!(r as u32, n as u32);
    });
    let rtf = di.get_func(&mut s, "roundtrip").unwrap();
    b.run("3", "Func::call + Func::new", u64::MAX, |n| {
        let mut r = [Val::I32(0)];
        for _ in 0..n {
            let a = [r[0].clone()];
            rtf.call(&mut s, &a, &mut r).unwrap();
        }
        assert_eq!(r[0].unwrap_i32() as u32, n as u32);
    });

    // ---- case 4 ----
    let max = i32::MAX as u64;
    let ln = ti.get_typed_func::<i32, ()>(&mut s, "loop_nop").unwrap();
    b.run("4", "func_wrap (per import call)", max, |n| {
        ln.call(&mut s, n as i32).unwrap()
    });
    let lnd = di.get_typed_func::<i32, ()>(&mut s, "loop_nop").unwrap();
    b.run("4", "Func::new (per import call)", max, |n| {
        lnd.call(&mut s, n as i32).unwrap()
    });

    // ---- case 5 ----
    b.run(
        "5",
        "Store::new + Linker::instantiate + drop",
        u64::MAX,
        |n| {
            for _ in 0..n {
                let mut st = store(&e);
                tl.instantiate(&mut st, &small).unwrap();
            }
        },
    );
    let pre: InstancePre<()> = tl.instantiate_pre(&small).unwrap();
    b.run(
        "5",
        "Store::new + InstancePre::instantiate + drop",
        u64::MAX,
        |n| {
            for _ in 0..n {
                let mut st = store(&e);
                pre.instantiate(&mut st).unwrap();
            }
        },
    );
    b.run("5", "Store::new + drop only", u64::MAX, |n| {
        for _ in 0..n {
            drop(store(&e));
        }
    });

    // ---- case 6 ----
    let reps = b.reps;
    if !quick {
        b.reps = 7;
    }
    b.run("6", "Module::new (200 funcs)", 1, |n| {
        for _ in 0..n {
            drop(Module::new(&e, &big_wasm).unwrap());
        }
    });
    let ser = Module::new(&e, &big_wasm).unwrap().serialize().unwrap();
    b.run("6", "Module::deserialize", u64::MAX, |n| {
        for _ in 0..n {
            // SAFETY: bytes serialized above by this engine.
            drop(unsafe { Module::deserialize(&e, &ser) }.unwrap());
        }
    });
    b.reps = reps;

    // ---- case 7 ----
    let mem = ti.get_memory(&mut s, "memory").unwrap();
    b.run(
        "7",
        "host: Memory::read + Memory::write (4 KiB each)",
        u64::MAX,
        |n| {
            let mut buf = [0u8; MEM_LEN];
            for _ in 0..n {
                mem.read(&s, MEM_OFF_IN, &mut buf).unwrap();
                std::hint::black_box(&mut buf);
                mem.write(&mut s, MEM_OFF_OUT, &buf).unwrap();
            }
        },
    );
    let lm = ti.get_typed_func::<i32, ()>(&mut s, "loop_mem").unwrap();
    b.run(
        "7",
        "callback: get_export + read + write (func_wrap)",
        max,
        |n| lm.call(&mut s, n as i32).unwrap(),
    );
    let lmd = di.get_typed_func::<i32, ()>(&mut s, "loop_mem").unwrap();
    b.run(
        "7",
        "callback: get_export + read + write (Func::new)",
        max,
        |n| lmd.call(&mut s, n as i32).unwrap(),
    );

    // ---- epoch off (informational) ----
    {
        let mut c = Config::new();
        c.wasm_threads(false);
        let e0 = Engine::new(&c).unwrap();
        let m0 = Module::new(&e0, &calls_wasm).unwrap();
        let mut s0 = Store::new(&e0, ());
        let i0 = typed_linker(&e0).instantiate(&mut s0, &m0).unwrap();
        let add0 = i0
            .get_typed_func::<(i32, i32), i32>(&mut s0, "add")
            .unwrap();
        b.run(
            "1",
            "TypedFunc::call, epoch interruption off",
            u64::MAX,
            |n| add_calls(&mut s0, &add0, n),
        );
        let ln0 = i0.get_typed_func::<i32, ()>(&mut s0, "loop_nop").unwrap();
        b.run("4", "func_wrap, epoch interruption off", max, |n| {
            ln0.call(&mut s0, n as i32).unwrap()
        });
    }

    // ---- case 8 ----
    let cps = threads_run(&e, &calls, &tl, 1, 100_000);
    let ncalls = ((cps * b.target_ms * 4.0 / 1e3) as u64).max(1000);
    // 1 and 2 threads back to back in each repetition (see bench.c).
    let (mut s1, mut s2) = (vec![], vec![]);
    for _ in 0..b.reps {
        s1.push(threads_run(&e, &calls, &tl, 1, ncalls));
        s2.push(threads_run(&e, &calls, &tl, 2, ncalls));
    }
    b.record(
        "8",
        "Rust API",
        "1 thread, add (calls/s, all threads)",
        "calls/s",
        s1,
        ncalls,
    );
    b.record(
        "8",
        "Rust API",
        "2 threads, add (calls/s, all threads)",
        "calls/s",
        s2,
        ncalls,
    );

    let mut j = String::new();
    writeln!(
        j,
        "{{\n  \"runner\": \"rust\",\n  \"reps\": {},\n  \"target_ms\": {:.1},\n  \"results\": [",
        b.reps, b.target_ms
    )
    .unwrap();
    for (i, r) in b.results.iter().enumerate() {
        let samples: Vec<String> = r.samples.iter().map(|x| format!("{x:.4}")).collect();
        writeln!(
            j,
            "    {{\"case\": \"{}\", \"api\": \"{}\", \"variant\": \"{}\", \"unit\": \"{}\", \"value\": {:.4}, \"min\": {:.4}, \"n\": {}, \"samples\": [{}]}}{}",
            r.case, r.api, r.variant, r.unit, r.value, r.min, r.n, samples.join(", "),
            if i + 1 < b.results.len() { "," } else { "" }
        )
        .unwrap();
    }
    j.push_str("  ]\n}\n");
    std::fs::write(&args[2], j).unwrap();
    eprintln!("wrote {}", args[2]);
}
