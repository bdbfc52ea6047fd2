/* Compiled as C: the header is valid C, and a C caller can open a verifier, verify and free everything. */
#include <stdio.h>
#include <string.h>

#include "wathiq/wathiq.h"

/* Copies the report (or the error) into out; returns the status of the first call that failed, else of
 * the verification. */
int bridge_c_verify(const uint8_t* tl, size_t tl_len, const uint8_t* root, size_t root_len, const char* qr,
                    int64_t now, char* out, size_t out_cap) {
  wathiq_verifier* v = NULL;
  char* err = NULL;
  wathiq_status s = wathiq_verifier_open(tl, tl_len, root, root_len, now, &v, &err);
  if (s != WATHIQ_OK) {
    snprintf(out, out_cap, "%s", err ? err : "");
    wathiq_string_free(err);
    return (int)s;
  }
  char* report = NULL;
  s = wathiq_verify_qr(v, qr, now, &report);
  snprintf(out, out_cap, "%s", report ? report : "");
  wathiq_string_free(report);
  wathiq_verifier_free(v);
  return (int)s;
}
