/*
 * The emulated phone's floating-point mode: subnormal results flush to zero and subnormal inputs read as zero on
 * the calling thread. On x86 every SIMD instruction with a subnormal lane takes a microcode assist (a phone's ARM
 * cores take none), and WebAssembly has no way to ask for flush-to-zero, so a stray subnormal lane (XNNPACK's
 * kernels read a few bytes past their buffers by design, and integers or pointers there read as subnormal floats)
 * makes a model 2-4x slower depending on its memory layout.
 *
 * Built by flush-subnormals.mjs and loaded as a Node-API module: loading it sets the mode on the loading thread.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <pmmintrin.h>
#include <xmmintrin.h>
static void flush_subnormals(void) {
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
}
#elif defined(__aarch64__)
static void flush_subnormals(void) {
  unsigned long fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  fpcr |= 1UL << 24; /* FZ */
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
}
#else
static void flush_subnormals(void) {}
#endif

/* Node-API's entry point (node_api.h's napi_register_module_v1, with its handles left opaque). */
void *napi_register_module_v1(void *env, void *exports) {
  (void)env;
  flush_subnormals();
  return exports;
}
