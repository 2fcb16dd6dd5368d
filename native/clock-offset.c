// clock-offset.so: an LD_PRELOAD shim that shifts CLOCK_REALTIME, as gettimeofday(), clock_gettime() and time()
// return it, by a number of milliseconds read from the file named by SENTINEL_CHAOS_CLOCK_OFFSET_FILE (re-read at
// most every RELOAD_NS; a missing or unreadable file means 0). The local and docker targets start every sentinel
// with it; the clock-skew fault writes the file.
//
// Why not libfaketime: Debian's libfaketime 0.9.10 resolves its wrapped functions with dlsym() on first use; glibc
// 2.36 builds dlsym's "undefined symbol: __ftime" error with malloc(), redis's jemalloc initialises itself by
// reading clock_gettime(), which re-enters libfaketime's uninitialised wrapper: it gives up ("Unexpected recursive
// calls to clock_gettime()") and the process deadlocks on jemalloc's init lock. This shim uses no libc at all: raw
// system calls and static buffers, no dlsym, no malloc, no errno unless libc's is there (weak). Built with
// -nostdlib, it has no glibc version dependency, so the same file loads into bookworm's and trixie's redis.

typedef long long i64;

struct ts {
  long sec;
  long nsec;
};

struct tv {
  long sec;
  long usec;
};

#if defined(__x86_64__)
enum { SYS_READ = 0, SYS_CLOSE = 3, SYS_OPENAT = 257, SYS_CLOCK_GETTIME = 228 };
static long sys4(long n, long a, long b, long c, long d) {
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
enum { SYS_READ = 63, SYS_CLOSE = 57, SYS_OPENAT = 56, SYS_CLOCK_GETTIME = 113 };
static long sys4(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "clock-offset.c: x86_64 or aarch64 only"
#endif

#define EXPORT __attribute__((visibility("default")))
#define AT_FDCWD (-100)
#define CLOCK_REALTIME 0
#define CLOCK_REALTIME_COARSE 5
#define RELOAD_NS 100000000LL

static const char KEY[] = "SENTINEL_CHAOS_CLOCK_OFFSET_FILE=";

extern int *__errno_location(void) __attribute__((weak));

/** 0: not looked up; 1: a thread is looking; 2: done (path[0] == 0: no file named). */
static int path_state;
static char path[512];
static char env_buf[65536];
static i64 offset_ns;
static i64 next_read_ns;

static void find_path(void) {
  int expected = 0;
  if (!__atomic_compare_exchange_n(&path_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return;
  long fd = sys4(SYS_OPENAT, AT_FDCWD, (long)"/proc/self/environ", 0, 0);
  long n = 0;
  if (fd >= 0) {
    for (long r; n < (long)sizeof env_buf - 1 && (r = sys4(SYS_READ, fd, (long)(env_buf + n), (long)sizeof env_buf - 1 - n, 0)) > 0;) n += r;
    sys4(SYS_CLOSE, fd, 0, 0, 0);
  }
  for (long i = 0; i < n;) {
    long k = 0;
    while (KEY[k] && i + k < n && env_buf[i + k] == KEY[k]) k++;
    if (!KEY[k]) {
      long j = 0;
      for (long p = i + k; p < n && env_buf[p] && j < (long)sizeof path - 1; p++) path[j++] = env_buf[p];
      path[j] = 0;
      break;
    }
    while (i < n && env_buf[i]) i++;
    i++;
  }
  __atomic_store_n(&path_state, 2, __ATOMIC_RELEASE);
}

/** The file's offset in ms ("-60000\n"), as ns; 0 when absent, empty or not a number. */
static i64 read_offset(void) {
  char buf[32];
  long fd = sys4(SYS_OPENAT, AT_FDCWD, (long)path, 0, 0);
  if (fd < 0) return 0;
  long n = sys4(SYS_READ, fd, (long)buf, sizeof buf - 1, 0);
  sys4(SYS_CLOSE, fd, 0, 0, 0);
  if (n <= 0) return 0;
  buf[n] = 0;
  long i = 0;
  while (buf[i] == ' ' || buf[i] == '\t') i++;
  int neg = buf[i] == '-';
  if (buf[i] == '-' || buf[i] == '+') i++;
  if (buf[i] < '0' || buf[i] > '9') return 0;
  i64 ms = 0;
  for (; buf[i] >= '0' && buf[i] <= '9' && ms < 100000000000LL; i++) ms = ms * 10 + (buf[i] - '0');
  return (neg ? -ms : ms) * 1000000LL;
}

/** The offset to add to a real CLOCK_REALTIME reading of `now_ns`, re-read when RELOAD_NS passed (or the real clock went back). */
static i64 current_offset(i64 now_ns) {
  if (__atomic_load_n(&path_state, __ATOMIC_ACQUIRE) != 2) find_path();
  if (__atomic_load_n(&path_state, __ATOMIC_ACQUIRE) != 2 || !path[0]) return 0;
  i64 next = __atomic_load_n(&next_read_ns, __ATOMIC_RELAXED);
  if (now_ns >= next || now_ns < next - 2 * RELOAD_NS) {
    __atomic_store_n(&next_read_ns, now_ns + RELOAD_NS, __ATOMIC_RELAXED);
    __atomic_store_n(&offset_ns, read_offset(), __ATOMIC_RELAXED);
  }
  return __atomic_load_n(&offset_ns, __ATOMIC_RELAXED);
}

static int fail(long r) {
  if (__errno_location) *__errno_location() = (int)-r;
  return -1;
}

static long realtime_ns(i64 *out) {
  struct ts t;
  long r = sys4(SYS_CLOCK_GETTIME, CLOCK_REALTIME, (long)&t, 0, 0);
  if (r < 0) return r;
  i64 ns = (i64)t.sec * 1000000000LL + t.nsec;
  *out = ns + current_offset(ns);
  return 0;
}

EXPORT int clock_gettime(int clk, struct ts *tp) {
  long r = sys4(SYS_CLOCK_GETTIME, clk, (long)tp, 0, 0);
  if (r < 0) return fail(r);
  if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE) {
    i64 ns = (i64)tp->sec * 1000000000LL + tp->nsec;
    ns += current_offset(ns);
    tp->sec = (long)(ns / 1000000000LL);
    tp->nsec = (long)(ns % 1000000000LL);
    if (tp->nsec < 0) tp->nsec += 1000000000L, tp->sec--;
  }
  return 0;
}

EXPORT int gettimeofday(struct tv *tv, void *tz) {
  i64 ns;
  long r = realtime_ns(&ns);
  if (r < 0) return fail(r);
  if (tv) {
    tv->sec = (long)(ns / 1000000000LL);
    tv->usec = (long)(ns % 1000000000LL) / 1000;
    if (tv->usec < 0) tv->usec += 1000000L, tv->sec--;
  }
  // The kernel's timezone is UTC with no DST on every machine this runs on.
  if (tz) ((int *)tz)[0] = 0, ((int *)tz)[1] = 0;
  return 0;
}

EXPORT long time(long *t) {
  i64 ns;
  long r = realtime_ns(&ns);
  if (r < 0) return fail(r);
  long s = (long)(ns / 1000000000LL) - (ns < 0 && ns % 1000000000LL ? 1 : 0);
  if (t) *t = s;
  return s;
}
