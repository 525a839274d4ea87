// LD_PRELOAD library: makes the CPUID instruction fault (Linux CPUID faulting) and answers it
// with AVX-512 / VNNI / AMX feature bits cleared, so libraries that dispatch on CPUID take the
// code paths of an older CPU. CPUID_MASK=avx2 (default) hides AVX-512, AVX-VNNI and AMX;
// CPUID_MASK=avx512 hides only the VNNI, BF16, FP16 and AMX extensions.
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <cpuid.h>

static int level; // 1 = avx2, 2 = avx512 without vnni

static void set_faulting(int on) { syscall(SYS_arch_prctl, ARCH_SET_CPUID, on ? 0 : 1); }

static void handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)g[REG_RIP];
    if (ip[0] != 0x0F || ip[1] != 0xA2) { signal(SIGSEGV, SIG_DFL); return; }
    unsigned leaf = (unsigned)g[REG_RAX], sub = (unsigned)g[REG_RCX];
    unsigned a, b, c, d;
    set_faulting(0);
    __cpuid_count(leaf, sub, a, b, c, d);
    set_faulting(1);
    if (leaf == 7 && sub == 0) {
        if (level == 1) {
            b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) |
                   (1u << 30) | (1u << 31));
            c &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
            d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23));
        } else {
            c &= ~(1u << 11);             // avx512_vnni
            d &= ~((1u << 2) | (1u << 23)); // 4vnniw, avx512_fp16
        }
        d &= ~((1u << 22) | (1u << 24) | (1u << 25)); // AMX
    } else if (leaf == 7 && sub == 1) {
        a &= ~((1u << 4) | (1u << 5) | (1u << 23)); // avx_vnni, avx512_bf16, avx_ifma
        d &= ~((1u << 4) | (1u << 5) | (1u << 10) | (1u << 19)); // vnni_int8/16, avx10
    } else if (leaf == 0xD && sub == 0 && level == 1) {
        a &= ~(0xE0u | (3u << 17)); // opmask/zmm and AMX tile state
    }
    g[REG_RAX] = a; g[REG_RBX] = b; g[REG_RCX] = c; g[REG_RDX] = d;
    g[REG_RIP] += 2;
}

__attribute__((constructor)) static void init(void) {
    const char *m = getenv("CPUID_MASK");
    level = (m && strcmp(m, "avx512") == 0) ? 2 : 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
        static const char msg[] = "cpuid_mask: CPUID faulting not available\n";
        write(2, msg, sizeof msg - 1);
        _exit(70);
    }
}
