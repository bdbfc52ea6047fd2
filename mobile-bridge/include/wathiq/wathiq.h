/* Wathiq mobile bridge, C ABI version 1: what the phone apps call (the officer's verifier today; the
 * wallet follows). Opaque handles, JSON out, status codes, and an explicit free function for everything
 * the library allocates. No C++ type crosses this boundary and no exception escapes it, out of memory
 * included.
 *
 * Status codes: WATHIQ_OK (0) for a call that did its job; a negative value for an error (nothing was
 * done; *error_json says why when the caller passed error_json); a positive value for the outcome of a
 * verification, so an app branches without parsing JSON: WATHIQ_VALID, WATHIQ_INVALID,
 * WATHIQ_CANNOT_CONFIRM_STATUS (the report says which checks failed and why).
 *
 * Errors are JSON: {"error": "<stable code>", "message": "<text for a log>"}. Codes include
 * "invalid_argument", "bad_handle", "trust_list_stale", "trust_list_rollback", "trust_list_bad_signature",
 * "malformed", "not_found", "out_of_memory", "internal".
 *
 * Trust state: the app keeps the highest trust-list sequence and its payload SHA-256 that it accepted
 * (wathiq_verifier_trust_state) and passes them to every later wathiq_verifier_open, which refuses an
 * older list, or a different list with the same sequence, as trust_list_rollback. Once `now` passes the
 * list's next_update plus the grace (24 hours) no verdict is given: every call fails with
 * WATHIQ_ERR_TRUST_LIST_STALE until a newer list is opened.
 *
 *   wathiq_verifier* v = NULL;
 *   char* err = NULL;
 *   if (wathiq_verifier_open(tl, tl_len, root, root_len, held_seq, held_sha256, now, &v, &err) < 0) { show(err); }
 *   wathiq_string_free(err);
 *   char* report = NULL;
 *   int s = wathiq_verify_qr(v, scanned_text, now, &report, &err);  // WATHIQ_VALID, ... or < 0
 *   wathiq_string_free(report);
 *   wathiq_verifier_free(v);
 *
 * Thread-safety: a wathiq_verifier may be used from several threads at once; wathiq_verifier_free must not
 * race with other calls on the same handle. Nothing is thread-local.
 */
#ifndef WATHIQ_WATHIQ_H_
#define WATHIQ_WATHIQ_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define WATHIQ_API
#else
#define WATHIQ_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define WATHIQ_ABI_VERSION 1

typedef enum {
  WATHIQ_OK = 0,
  /* verification outcomes */
  WATHIQ_VALID = 1,
  WATHIQ_INVALID = 2,
  WATHIQ_CANNOT_CONFIRM_STATUS = 3,
  /* errors */
  WATHIQ_ERR_INVALID_ARGUMENT = -1, /* a null pointer, or an argument out of range */
  WATHIQ_ERR_BAD_HANDLE = -2,       /* a handle that is not (or no longer) a live wathiq_verifier */
  WATHIQ_ERR_REJECTED = -3,         /* input refused: untrusted or malformed trust list, bad root, no QR in image */
  WATHIQ_ERR_ROLLBACK = -4,         /* a trust list older than (or equivocating with) the one held */
  WATHIQ_ERR_TRUST_LIST_STALE = -5, /* the trust list is past next_update plus the grace: sync first */
  WATHIQ_ERR_STATE = -6,            /* the verifier's records refused the call (e.g. too many challenges) */
  WATHIQ_ERR_NO_MEMORY = -7,
  WATHIQ_ERR_INTERNAL = -8
} wathiq_status;

/* The ABI version this library implements (WATHIQ_ABI_VERSION when the header matches the library). */
WATHIQ_API uint32_t wathiq_abi_version(void);
/* The library version, a static string ("0.2.0"). */
WATHIQ_API const char* wathiq_version(void);

/* A verifier over one loaded trust list, with its own challenge and replay records (in memory). */
typedef struct wathiq_verifier wathiq_verifier;

/* Loads the signed trust list (COSE_Sign1 bytes) against the pinned national root certificate (DER or PEM).
 * held_sequence / held_payload_sha256 (32 bytes, or NULL when nothing was accepted yet): the trust state
 * the app already accepted. On success *out is a new handle. */
WATHIQ_API int wathiq_verifier_open(const uint8_t* trust_list, size_t trust_list_len, const uint8_t* root_cert,
                                    size_t root_cert_len, uint64_t held_sequence, const uint8_t* held_payload_sha256,
                                    int64_t now, wathiq_verifier** out, char** error_json);

/* What was loaded: the sequence, the payload SHA-256 (32 bytes into sha256_out) and next_update. Keep the
 * first two and pass them to the next wathiq_verifier_open. */
WATHIQ_API int wathiq_verifier_trust_state(const wathiq_verifier* verifier, uint64_t* sequence, uint8_t* sha256_out,
                                           int64_t* next_update);

/* Verifies a scanned WQ1 text (NUL-terminated) at `now`. Returns WATHIQ_VALID, WATHIQ_INVALID or
 * WATHIQ_CANNOT_CONFIRM_STATUS with *report_json set ({"verdict", "presentedAt", "challengeMode", "checks",
 * "documents"}; every string escaped), or an error (< 0) with *report_json NULL. A second acceptance of
 * the same presentation is WATHIQ_INVALID with reason "replayed". */
WATHIQ_API int wathiq_verify_qr(wathiq_verifier* verifier, const char* qr_text, int64_t now, char** report_json,
                                char** error_json);

/* Makes a challenge to show (challenge mode): *wqc_text is the "WQC:..." text for a QR. The verifier
 * remembers it was shown at `now`; a WQ1 answering it verifies within 5 minutes, once. */
WATHIQ_API int wathiq_verifier_challenge(wathiq_verifier* verifier, const char* verifier_name, int64_t now,
                                         char** wqc_text, char** error_json);

/* Gives the verifier one signed status-list token (the COSE_Sign1 bytes of an IETF Token Status List CWT,
 * as synced from the agencies while online), checked at `now`. It is used only when it verifies under a
 * status-list signer of the agency whose trust-list status prefixes cover the token's `sub`; per list URI
 * the newest token (by iat) is kept, so an older one returns WATHIQ_OK and changes nothing. Afterwards a
 * credential pointing into that list verifies valid, or invalid with reason "revoked", "suspended" or
 * "status_index_out_of_range"; with no token, or once the token's exp has passed, its status is unknown
 * (WATHIQ_CANNOT_CONFIRM_STATUS), never the old answer. Tokens live in memory with the handle (at most
 * 4096 lists, 256 MiB inflated; a token is at most 4 MiB).
 * Returns WATHIQ_OK, or WATHIQ_ERR_REJECTED with *error_json {"error": reason} where reason is one of
 * "malformed", "limit", "unknown_signer", "bad_signature", "unknown_list", "signer_not_authorized",
 * "certificate_invalid", "expired", "not_yet_valid"; WATHIQ_ERR_TRUST_LIST_STALE as every call;
 * WATHIQ_ERR_INVALID_ARGUMENT for a null or empty token; WATHIQ_ERR_BAD_HANDLE.
 * May be called while other threads verify with the same handle. Added in ABI version 1 (0.2.x). */
WATHIQ_API int wathiq_verifier_add_status_token(wathiq_verifier* verifier, const uint8_t* token, size_t len,
                                                int64_t now, char** error_json);

/* Frees a handle (NULL is fine); the handle is unusable afterwards. */
WATHIQ_API void wathiq_verifier_free(wathiq_verifier* verifier);
/* Frees a string this library returned (NULL is fine). */
WATHIQ_API void wathiq_string_free(char* s);

#ifdef __cplusplus
}
#endif

#endif /* WATHIQ_WATHIQ_H_ */
