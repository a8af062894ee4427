//! Which thread may use a store: biased ownership with asymmetric fences.
//!
//! A store is used by one thread at a time (`WT_ERR_BUSY` for the others).
//! Taking and releasing that right with an atomic read-modify-write on every
//! `wt_call` costs two serialising instructions, about a third of libwt's
//! overhead over Wasmtime's own unchecked call. Most programs use a store from
//! one thread for a long time, so the right is *biased*: the store's handle
//! slot names an owner thread (`aux[0]`, a pointer to that thread's
//! [`ThreadRec`]), and the owner enters and leaves with plain stores into its
//! own record:
//!
//! * enter: push the store's handle on the owner's `inside` stack, a light
//!   fence, then re-check that it is still the owner and the handle still live;
//! * leave: pop it, a light fence, and destroy the store if it was freed meanwhile.
//!
//! Another thread takes the bias over (`steal`): it marks the slot
//! `STEALING`, runs a heavy fence, and reads the old owner's `inside` stack;
//! if the store is there, the old owner is inside a call and the thief gets
//! `WT_ERR_BUSY`, else the slot names the thief from then on. Frees decide the
//! same way whether the store is idle. The heavy fence is Linux's
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which runs a full memory
//! barrier on every CPU running a thread of this process: after it, either the
//! owner's push is visible to the thief, or the owner's re-check (after its
//! push) sees the thief's mark and backs off. The light fence is then only a
//! compiler fence. Without membarrier (other systems, valgrind), both fences
//! are `fence(SeqCst)`: still correct, just not faster. This is the classic
//! asymmetric Dekker pattern (as in RCU, hazard pointers, biased locks).
//!
//! Each thread only ever writes its own record, so a thread that lost the
//! bias while about to enter cannot disturb the new owner. Records are never
//! freed: a thread's record is recycled for a new thread when it exits
//! (a store biased to a dead thread is idle, so handing its bias to the next
//! thread using that record is safe).
//!
//! The call path does not look the calling thread's record up (a
//! `pthread_getspecific` per call): it follows the store's owner word to the
//! owner's record and compares the thread pointer kept there ([`me`], one
//! register read) with its own. Thread pointers are unique among live
//! threads, and a record's is cleared when its thread exits, before a new
//! thread can get the same pointer; so equality means "my record". Anything
//! else takes the slow path, which uses the thread-specific key.

use std::cell::Cell;
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

/// Top-level uses of distinct stores that one thread can nest (host -> guest
/// -> host callback -> another store -> ...). Re-entering the same store
/// through a caller handle does not count.
pub(crate) const DEPTH: usize = 1024;

/// `aux[0]` bit: a thread is taking the bias over (owner pointers are aligned).
pub(crate) const STEALING: u64 = 1;

/// A thread's record: the stores it is inside right now. The fields read on
/// every call come first, in one cache line.
#[repr(C, align(64))]
pub struct ThreadRec {
    /// [`me`] of the thread this record is assigned to, 0 while it is free.
    /// Lets a thread recognise its own record through a store's owner word
    /// without a thread-local lookup (see [`ThreadRec::is_mine`]).
    tid: AtomicU64,
    /// Used entries of `inside`; only the owning thread touches it.
    depth: Cell<usize>,
    /// Unique per thread that ever used this record (never 0), so caches
    /// keyed by it (a store's native-stack check) never match a later thread.
    pub id: Cell<u64>,
    /// [`ThreadRec::light`] must be a real fence (no membarrier here); a copy of that
    /// process-wide decision next to the fields the call path reads anyway.
    fenced: Cell<bool>,
    /// Store handles this thread is inside (a stack; 0 = unused entry).
    /// Written only by the owning thread; read by others after a heavy fence.
    inside: [AtomicU64; DEPTH],
}

// SAFETY: `depth` and `id` are only accessed by the thread the record is
// assigned to (assignment and recycling go through the REGISTRY mutex, which
// orders them); `inside` is atomic.
unsafe impl Sync for ThreadRec {}

impl ThreadRec {
    /// Whether this thread's stack holds `h`. Exact for the owning thread;
    /// for another thread only meaningful after [`heavy`].
    #[inline(always)]
    pub fn contains(&self, h: u64, own: bool) -> bool {
        let n = if own { self.depth.get() } else { DEPTH };
        self.inside[..n]
            .iter()
            .any(|e| e.load(Ordering::Acquire) == h)
    }

    /// Pushes `h` (the owning thread only); `None` when the stack is full.
    #[inline(always)]
    pub fn push(&self, h: u64) -> Option<usize> {
        let d = self.depth.get();
        let e = self.inside.get(d)?;
        e.store(h, Ordering::Relaxed);
        self.depth.set(d + 1);
        Some(d)
    }

    /// Whether the stack has no free entry (the owning thread only).
    pub fn is_full(&self) -> bool {
        self.depth.get() == DEPTH
    }

    /// Pops the top entry (the owning thread only; entries are popped in LIFO order).
    /// Release: a thread that sees the entry cleared also sees everything this
    /// thread did inside the store.
    ///
    /// # Safety
    /// The stack is not empty (a `push` that this pops succeeded).
    #[inline(always)]
    pub unsafe fn pop_top(&self) {
        let d = self.depth.get().wrapping_sub(1);
        debug_assert!(d < DEPTH, "pop from an empty stack");
        // SAFETY: 0 < depth <= DEPTH (caller contract).
        unsafe { self.inside.get_unchecked(d) }.store(0, Ordering::Release);
        self.depth.set(d);
    }

    /// Whether this record is the calling thread's (`me` = [`me()`]).
    ///
    /// Thread pointers are unique among live threads, and a record's `tid`
    /// is cleared by its thread's exit before that thread's pointer can be
    /// reused by a new thread; so equality means "assigned to me".
    #[inline(always)]
    pub fn is_mine(&self, me: u64) -> bool {
        self.tid.load(Ordering::Relaxed) == me
    }

    /// Whether this thread is inside no store (the owning thread only).
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.depth.get() == 0
    }

    /// The owner side of the asymmetric fence: orders the owner's earlier
    /// stores before its later loads, given that other threads use [`heavy`]
    /// (the owning thread only).
    #[inline(always)]
    pub fn light(&self) {
        if self.fenced.get() {
            fence(Ordering::SeqCst);
        } else {
            compiler_fence(Ordering::SeqCst);
        }
    }

    pub fn as_owner(&self) -> u64 {
        self as *const ThreadRec as u64
    }

    /// The record an owner word names.
    ///
    /// # Safety
    /// `owner` is 0 or a value of [`ThreadRec::as_owner`] (records are never freed).
    pub unsafe fn from_owner(owner: u64) -> Option<&'static ThreadRec> {
        // SAFETY: records are leaked, so any pointer once stored stays valid.
        unsafe { ((owner & !STEALING) as *const ThreadRec).as_ref() }
    }
}

struct Registry {
    free: Vec<&'static ThreadRec>,
    next_id: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    free: Vec::new(),
    next_id: 1,
});

fn new_rec() -> &'static ThreadRec {
    let mut r = REGISTRY.lock();
    let id = r.next_id;
    r.next_id += 1;
    let rec = r.free.pop().unwrap_or_else(|| {
        Box::leak(Box::new(ThreadRec {
            tid: AtomicU64::new(0),
            inside: [const { AtomicU64::new(0) }; DEPTH],
            depth: Cell::new(0),
            fenced: Cell::new(true),
            id: Cell::new(0),
        }))
    });
    rec.id.set(id);
    rec.fenced.set(!ASYMMETRIC.load(Ordering::Relaxed));
    rec.tid.store(me(), Ordering::Relaxed);
    rec
}

fn recycle(rec: &'static ThreadRec) {
    // First: a later thread with this thread's pointer must not take the
    // record for its own (see `is_mine`).
    rec.tid.store(0, Ordering::Release);
    // A thread can only exit outside every store, so its stack is empty
    // (unless it was killed inside a call; then keep the record out of use).
    if rec.depth.get() == 0 {
        REGISTRY.lock().free.push(rec);
    }
}

#[cfg(unix)]
mod tls {
    use super::*;

    static KEY: OnceLock<libc::pthread_key_t> = OnceLock::new();

    unsafe extern "C" fn on_thread_exit(p: *mut libc::c_void) {
        // SAFETY: the key's values are records from `new_rec`.
        if let Some(rec) = unsafe { (p as *const ThreadRec).as_ref() } {
            recycle(rec);
        }
    }

    fn key() -> libc::pthread_key_t {
        *KEY.get_or_init(|| {
            init_fences();
            let mut k: libc::pthread_key_t = 0;
            // SAFETY: plain libc call with a valid destructor.
            let rc = unsafe { libc::pthread_key_create(&mut k, Some(on_thread_exit)) };
            assert_eq!(rc, 0, "pthread_key_create failed");
            k
        })
    }

    /// The calling thread's record (created on first use).
    #[inline(always)]
    pub fn my_rec() -> &'static ThreadRec {
        let p = match KEY.get() {
            // SAFETY: a key created by `key()`.
            Some(k) => unsafe { libc::pthread_getspecific(*k) },
            None => std::ptr::null_mut(),
        };
        // SAFETY: the key's values are leaked records.
        match unsafe { (p as *const ThreadRec).as_ref() } {
            Some(r) => r,
            None => first_use(),
        }
    }

    #[cold]
    #[inline(never)]
    fn first_use() -> &'static ThreadRec {
        let k = key();
        let rec = new_rec();
        // SAFETY: plain libc call; the value stays valid forever.
        unsafe { libc::pthread_setspecific(k, rec as *const ThreadRec as *const libc::c_void) };
        rec
    }
}

#[cfg(not(unix))]
mod tls {
    use super::*;

    struct Holder(&'static ThreadRec);
    impl Drop for Holder {
        fn drop(&mut self) {
            recycle(self.0);
        }
    }
    thread_local!(static REC: Holder = {
        init_fences();
        Holder(new_rec())
    });

    pub fn my_rec() -> &'static ThreadRec {
        REC.with(|h| h.0)
    }
}

pub use tls::my_rec;

/// The calling thread's identity: its thread pointer, unique among live
/// threads and never 0 (one instruction where the ABI defines it).
#[inline(always)]
pub fn me() -> u64 {
    #[cfg(all(
        target_arch = "x86_64",
        any(target_os = "linux", target_os = "android")
    ))]
    {
        let tp: u64;
        // SAFETY: the x86-64 TLS ABI stores the thread pointer itself at
        // %fs:0 (glibc, musl and bionic all follow it).
        unsafe {
            std::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) tp,
                options(nostack, readonly, preserves_flags, pure))
        };
        tp
    }
    #[cfg(all(
        target_arch = "aarch64",
        any(target_os = "linux", target_os = "android")
    ))]
    {
        let tp: u64;
        // SAFETY: reading the EL0 thread pointer register has no effects.
        unsafe {
            std::arch::asm!("mrs {}, tpidr_el0", out(reg) tp,
                options(nomem, nostack, preserves_flags, pure))
        };
        tp
    }
    #[cfg(not(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        any(target_os = "linux", target_os = "android")
    )))]
    {
        thread_local!(static ME: u8 = const { 0 });
        ME.with(|m| m as *const u8 as u64)
    }
}

// ---- fences -------------------------------------------------------------------

/// Whether `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` works here.
static ASYMMETRIC: AtomicBool = AtomicBool::new(false);
static FENCES: OnceLock<()> = OnceLock::new();

/// Decides once, before any record exists, which fences to use.
fn init_fences() {
    FENCES.get_or_init(|| {
        ASYMMETRIC.store(register_membarrier(), Ordering::SeqCst);
    });
}

#[cfg(target_os = "linux")]
fn register_membarrier() -> bool {
    const QUERY: libc::c_long = 0;
    const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
    if std::env::var_os("WT_NO_MEMBARRIER").is_some() {
        return false;
    }
    // SAFETY: membarrier takes (cmd, flags, cpu_id) and touches no memory of ours.
    unsafe {
        let cmds = libc::syscall(libc::SYS_membarrier, QUERY, 0, 0);
        if cmds < 0 || cmds & PRIVATE_EXPEDITED == 0 {
            return false;
        }
        if libc::syscall(libc::SYS_membarrier, REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0 {
            return false;
        }
        // One real call, so a failure shows up now and not in `heavy`.
        libc::syscall(libc::SYS_membarrier, PRIVATE_EXPEDITED, 0, 0) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn register_membarrier() -> bool {
    false
}

/// The other side: after it, every store another thread made before its
/// last [`ThreadRec::light`] is visible, or that thread's loads after its fence see ours.
#[cold]
pub fn heavy() {
    #[cfg(target_os = "linux")]
    if ASYMMETRIC.load(Ordering::Relaxed) {
        const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        // SAFETY: as in `register_membarrier`.
        let rc = unsafe { libc::syscall(libc::SYS_membarrier, PRIVATE_EXPEDITED, 0, 0) };
        // Registration succeeded, so this cannot fail; if it ever did, the
        // fallback below would not be enough for owners that only use
        // compiler fences, so refuse to continue unsafely. Not a panic: the
        // caller may be holding a store's owner word marked as being stolen,
        // and an unwind would leave it marked (every later free of the store
        // would wait for it forever).
        if rc != 0 {
            eprintln!("libwt: membarrier failed after registration (rc {rc}); aborting");
            std::process::abort();
        }
        return;
    }
    fence(Ordering::SeqCst);
}

/// Whether the asymmetric fences are in use (reported by tests).
pub fn asymmetric() -> bool {
    ASYMMETRIC.load(Ordering::Relaxed)
}
