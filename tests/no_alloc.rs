//! The training loop allocates nothing of its own per step. The one allocation left
//! is inside the matrix product: `matrixmultiply` takes a packing buffer on every
//! GEMM call, so a step allocates exactly once per product it computes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use harmonica::sgd::two_layer::Method;
use harmonica::sgd::{run_two_layer, Model, TwoLayerConfig};

struct Counting;

thread_local! {
    // Per thread, so the test harness's own threads do not count.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A thread being torn down has no counter left; its allocations are not ours.
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(method: Method, steps: usize) -> usize {
    let cfg = TwoLayerConfig { method, steps, lr: 1e-3, log_every: steps, ..TwoLayerConfig::new(Model::ResLink, 12) };
    let before = count();
    let run = run_two_layer(&cfg);
    let after = count();
    assert!(run.is_ok());
    after - before
}

#[test]
fn training_steps_do_not_allocate() {
    for method in [Method::Gd, Method::Sgd { batch: 32 }, Method::Finite { batch: 16, samples: 64, test_samples: 32 }] {
        // Population GD: U^T U, U*^T U, U A, U* B; a batch: X U, X U*, X^T R.
        let products = if method == Method::Gd { 4 } else { 3 };
        let short = allocations(method.clone(), 20);
        let long = allocations(method.clone(), 2020);
        assert_eq!(long - short, 2000 * products, "{method:?}: {short} allocations for 20 steps, {long} for 2020");
    }
}
