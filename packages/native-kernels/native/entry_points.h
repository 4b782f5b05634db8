/* The N-API functions the addon exports (registered in varia_native.c; contracts in its header comment). */
#ifndef VARIA_ENTRY_POINTS_H
#define VARIA_ENTRY_POINTS_H
#include "napi_util.h"

/* blas.c */
VARIA_HIDDEN napi_value varia_napi_load(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_set_threads(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_threads(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_set_parallel(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_parallel(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_zero_skipped(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_narrowed(napi_env env, napi_callback_info info);
/* matmul.c */
VARIA_HIDDEN napi_value varia_napi_gemm(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_dense_backward(napi_env env, napi_callback_info info);
/* dense_rows.c */
VARIA_HIDDEN napi_value varia_napi_row_blocked(napi_env env, napi_callback_info info);
/* dense_host.c */
VARIA_HIDDEN napi_value varia_napi_gemm_host(napi_env env, napi_callback_info info);
/* dense_adam.c */
VARIA_HIDDEN napi_value varia_napi_dense_backward_adam(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_join_deferred(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_deferred_pending(napi_env env, napi_callback_info info);
/* adam.c */
VARIA_HIDDEN napi_value varia_napi_adam(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_adam_in_place(napi_env env, napi_callback_info info);
/* elementwise.c */
VARIA_HIDDEN napi_value varia_napi_unary(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_sum(napi_env env, napi_callback_info info);
/* fused_elementwise.c */
VARIA_HIDDEN napi_value varia_napi_lookup(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_mul_sub(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_scaled_sum(napi_env env, napi_callback_info info);
/* normal_latent.c */
VARIA_HIDDEN napi_value varia_napi_normal_sample(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_normal_kl(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_normal_backward(napi_env env, napi_callback_info info);
/* standard_normal.c */
VARIA_HIDDEN napi_value varia_napi_standard_normal(napi_env env, napi_callback_info info);
/* normal_likelihood.c */
VARIA_HIDDEN napi_value varia_napi_normal_log_prob(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_normal_log_prob_backward(napi_env env, napi_callback_info info);
/* likelihood_step.c */
VARIA_HIDDEN napi_value varia_napi_likelihood_step(napi_env env, napi_callback_info info);
/* gather_rows.c */
VARIA_HIDDEN napi_value varia_napi_gather_rows(napi_env env, napi_callback_info info);
/* domain_scan.c */
VARIA_HIDDEN napi_value varia_napi_first_outside_unit_interval(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_first_bad_count(napi_env env, napi_callback_info info);

#endif
