// A small pool of worker threads for the matrix–vector and bfloat16 kernels (see ckernels.h).
//
// Why not Dispatch: a decode step of SmolLM2 makes about 150 parallel products of 0.03–0.1 ms
// each. DispatchQueue.concurrentPerform wakes a sleeping worker for every one of them, and the
// wake-up cost about as much as the product, so two threads decoded no faster than one. Here a
// worker spins for a while after each job (TVB_SPIN_NANOSECONDS), catching the next product of
// the same step at once, and sleeps on a condition variable only when nothing came.
//
// Invariants: one job at a time (the `busy` flag); a caller that finds the pool busy (another
// thread's product) runs its job alone. Chunks are taken by an atomic counter, and a chunk's
// outputs never depend on which thread ran it, so results are the same for any thread count.
#include "ckernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <immintrin.h>

#define TVB_MAX_WORKERS 63
#define TVB_SPIN_NANOSECONDS 200000L

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int workers;                      // started so far (they never exit)
    // Even while a job is published (or none runs), odd while the caller writes the next one.
    _Atomic long generation;
    _Atomic int busy;                 // 1 while a caller owns the pool
    _Atomic int sleeping;             // workers waiting on `wake`
    _Atomic int joined;               // workers between taking a job and leaving it
    _Atomic long rests;               // bumped by tvb_parallel_rest: spinning workers sleep
    // The current job; written only while `generation` is odd and no worker has joined.
    tvb_chunk_fn fn;
    void *context;
    long chunks;
    int helpers;                      // workers that may join this job
    _Atomic long next;                // the next chunk to take
    _Atomic long finished;            // chunks done
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_chunks(void) {
    for (;;) {
        long chunk = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed);
        if (chunk >= pool.chunks) return;
        pool.fn(pool.context, chunk);
        atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
    }
}

// A job newer than `seen` is published.
static inline int published(long generation, long seen) { return generation != seen && (generation & 1) == 0; }

static void *worker_main(void *argument) {
    const int index = (int)(long)argument;
    long seen = atomic_load(&pool.generation) & ~1L;
    for (;;) {
        // Spin for the next job, then sleep.
        long started = now_nanoseconds(), generation, rests = atomic_load(&pool.rests);
        int spins = 0;
        while (!published(generation = atomic_load(&pool.generation), seen)) {
            // Yield now and then: on a machine with as many threads as cores, OpenBLAS's own
            // threads may need this core between our jobs.
            if (++spins % 64 == 0) sched_yield(); else _mm_pause();
            if (atomic_load_explicit(&pool.rests, memory_order_relaxed) != rests ||
                (spins % 256 == 0 && now_nanoseconds() - started > TVB_SPIN_NANOSECONDS)) {
                pthread_mutex_lock(&pool.lock);
                atomic_fetch_add(&pool.sleeping, 1);
                while (!published(generation = atomic_load(&pool.generation), seen))
                    pthread_cond_wait(&pool.wake, &pool.lock);
                atomic_fetch_sub(&pool.sleeping, 1);
                pthread_mutex_unlock(&pool.lock);
                break;
            }
        }
        seen = generation;
        // Join, then check the job is still this one: the caller waits for `joined` to reach 0
        // before it rewrites the job, so a worker that joins late finds a newer generation.
        atomic_fetch_add(&pool.joined, 1);
        if (atomic_load(&pool.generation) == generation && index < pool.helpers) run_chunks();
        atomic_fetch_sub(&pool.joined, 1);
    }
    return NULL;
}

// Starts workers up to `count`; returns how many there are.
static int ensure_workers(int count) {
    if (count > TVB_MAX_WORKERS) count = TVB_MAX_WORKERS;
    pthread_mutex_lock(&pool.lock);
    while (pool.workers < count) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (void *)(long)pool.workers) != 0) break;
        pthread_detach(thread);
        pool.workers++;
    }
    int workers = pool.workers;
    pthread_mutex_unlock(&pool.lock);
    return workers;
}

void tvb_parallel_chunks(long chunks, int threads, tvb_chunk_fn fn, void *context) {
    if (chunks <= 0) return;
    int expected = 0;
    if (threads <= 1 || chunks == 1 || !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
        for (long c = 0; c < chunks; c++) fn(context, c);
        return;
    }
    int helpers = ensure_workers(threads - 1);
    atomic_fetch_add(&pool.generation, 1);  // odd: writing
    while (atomic_load(&pool.joined) > 0) _mm_pause();
    pool.fn = fn;
    pool.context = context;
    pool.chunks = chunks;
    pool.helpers = helpers;
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.next, 0, memory_order_relaxed);
    atomic_fetch_add(&pool.generation, 1);  // even: published
    if (atomic_load(&pool.sleeping) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_chunks();
    while (atomic_load_explicit(&pool.finished, memory_order_acquire) < chunks) _mm_pause();
    atomic_store(&pool.busy, 0);
}

void tvb_parallel_rest(void) { atomic_fetch_add_explicit(&pool.rests, 1, memory_order_relaxed); }
