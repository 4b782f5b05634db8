{
  "targets": [
    {
      "target_name": "varia_native",
      "sources": [
        "varia_native.c", "napi_util.c", "blas.c", "matmul.c", "adam.c", "elementwise.c", "fused_elementwise.c",
        "normal_latent.c", "normal_likelihood.c", "math_kernels.c", "parallel.c", "shared_passes.c", "sparse_dense.c",
        "sparse_input.c", "sparse_tiles.c", "sparse_rows.c", "domain_scan.c", "likelihood_step.c", "bernoulli_step.c", "poisson_step.c",
        "log1p_counts.c", "dense_adam.c", "standard_normal.c", "gemm_split.c", "gemm512.c",
        "zero_skip.c", "narrow.c", "dense_host.c", "dense_rows.c", "gather_rows.c", "signal_guard.c"
      ],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-math-errno", "-fno-trapping-math", "-fvisibility=hidden"],
      "libraries": ["-ldl", "-lm", "-lpthread"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
