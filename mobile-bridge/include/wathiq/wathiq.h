/* Wathiq mobile bridge: a stable C ABI for the phone apps (the officer's verifier today; the wallet
 * follows). Opaque handles, JSON out, status codes, and an explicit free function for everything the
 * library allocates. No C++ type crosses this boundary and no exception escapes it.
 *
 *   wathiq_verifier* v = NULL;
 *   char* err = NULL;
 *   if (wathiq_verifier_open(tl, tl_len, root, root_len, now, &v, &err) != WATHIQ_OK) { show(err); wathiq_string_free(err); }
 *   char* report = NULL;
 *   wathiq_verify_qr(v, scanned_text, now, &report);   // {"verdict": "valid", "checks": [...], ...}
 *   wathiq_string_free(report);
 *   wathiq_verifier_free(v);
 */
#ifndef WATHIQ_WATHIQ_H_
#define WATHIQ_WATHIQ_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  WATHIQ_OK = 0,
  WATHIQ_INVALID_ARGUMENT = 1, /* a null pointer or an argument out of range */
  WATHIQ_REJECTED = 2,         /* input refused (untrusted or malformed trust list, bad root): see the JSON */
  WATHIQ_INTERNAL = 3          /* out of memory or a bug: see the JSON */
} wathiq_status;

/* A verifier over one loaded trust list. Safe to use from several threads at once. */
typedef struct wathiq_verifier wathiq_verifier;

/* Loads the signed trust list (COSE_Sign1 bytes) against the pinned national root certificate (DER or
 * PEM bytes), with `now` in seconds since the epoch. On success *out is a new handle; on failure *error_json
 * (when error_json is not NULL) is {"error": code, "message": text}. */
wathiq_status wathiq_verifier_open(const uint8_t* trust_list, size_t trust_list_len, const uint8_t* root_cert,
                                   size_t root_cert_len, int64_t now, wathiq_verifier** out, char** error_json);

/* Verifies a scanned WQ1 text (NUL-terminated) in time mode at `now`. *report_json gets the report:
 * {"verdict", "presentedAt", "challengeMode", "checks", "documents"}. A QR that fails verification is still
 * WATHIQ_OK: the verdict says why. Status lists are not loaded yet, so a credential with a status reference
 * gives "cannot_confirm_status". */
wathiq_status wathiq_verify_qr(const wathiq_verifier* verifier, const char* qr_text, int64_t now, char** report_json);

void wathiq_verifier_free(wathiq_verifier* verifier);
void wathiq_string_free(char* s);

/* The library version, a static string. */
const char* wathiq_version(void);

#ifdef __cplusplus
}
#endif

#endif /* WATHIQ_WATHIQ_H_ */
