/* Compiled as C: the header is valid C, and a C caller opens a verifier, branches on the status code,
 * keeps the trust state and frees everything. */
#include <stdio.h>
#include <string.h>

#include "wathiq/wathiq.h"

/* Opens a verifier with the held trust state, verifies `qr` at each of the `count` times in `at` (one verifier:
 * its replay records apply), writing each status into statuses and the last report or error into out.
 * The trust state loaded is written to seq_out / sha_out. Returns the open status when it failed, else 0. */
int bridge_c_session(const uint8_t* tl, size_t tl_len, const uint8_t* root, size_t root_len, uint64_t held_seq,
                     const uint8_t* held_sha, int64_t open_at, const char* qr, const int64_t* at, int count,
                     int* statuses, uint64_t* seq_out, uint8_t* sha_out, char* out, size_t out_cap) {
  wathiq_verifier* v = NULL;
  char* err = NULL;
  int s = wathiq_verifier_open(tl, tl_len, root, root_len, held_seq, held_sha, open_at, &v, &err);
  out[0] = '\0';
  if (s != WATHIQ_OK) {
    snprintf(out, out_cap, "%s", err ? err : "");
    wathiq_string_free(err);
    return s;
  }
  int64_t next_update = 0;
  if (wathiq_verifier_trust_state(v, seq_out, sha_out, &next_update) != WATHIQ_OK || next_update <= open_at) {
    wathiq_verifier_free(v);
    return -100;
  }
  for (int i = 0; i < count; ++i) {
    char* report = NULL;
    err = NULL;
    statuses[i] = wathiq_verify_qr(v, qr, at[i], &report, &err);
    snprintf(out, out_cap, "%s", report ? report : (err ? err : ""));
    wathiq_string_free(report);
    wathiq_string_free(err);
  }
  wathiq_verifier_free(v);
  return 0;
}

/* Opens a verifier at `now`; for each i < count adds tokens[i] (its status into add_statuses[i]) and then
 * verifies qrs[i] at at[i] (into verify_statuses[i]). The last failed add's error JSON goes into out.
 * Returns the open status when it failed, else 0. */
int bridge_c_status(const uint8_t* tl, size_t tl_len, const uint8_t* root, size_t root_len, int64_t now,
                    const uint8_t* const* tokens, const size_t* token_lens, int count, const char* const* qrs,
                    const int64_t* at, int* add_statuses, int* verify_statuses, char* out, size_t out_cap) {
  wathiq_verifier* v = NULL;
  char* err = NULL;
  int s = wathiq_verifier_open(tl, tl_len, root, root_len, 0, NULL, now, &v, &err);
  out[0] = '\0';
  if (s != WATHIQ_OK) {
    snprintf(out, out_cap, "%s", err ? err : "");
    wathiq_string_free(err);
    return s;
  }
  for (int i = 0; i < count; ++i) {
    err = NULL;
    add_statuses[i] = wathiq_verifier_add_status_token(v, tokens[i], token_lens[i], now, &err);
    if (add_statuses[i] != WATHIQ_OK) snprintf(out, out_cap, "%s", err ? err : "");
    wathiq_string_free(err);
    char* report = NULL;
    err = NULL;
    verify_statuses[i] = wathiq_verify_qr(v, qrs[i], at[i], &report, &err);
    wathiq_string_free(report);
    wathiq_string_free(err);
  }
  wathiq_verifier_free(v);
  return 0;
}
