/* Wathiq mobile bridge, C ABI version 1: what the phone apps call (the officer's verifier and the
 * citizen's wallet). Opaque handles, JSON out, status codes, and an explicit free function for everything
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
 * "malformed", "not_found", "out_of_memory", "internal"; the wallet's (below) add the wallet library's
 * reasons ("wrong_pin", "pin_wait", "pin_blocked", "device_key_not_mine", "duplicate_credential",
 * "keystore_failed", ...).
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
 * race with other calls on the same handle. A wathiq_wallet serializes its calls (see the wallet half).
 * Nothing is thread-local.
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
  WATHIQ_ERR_BAD_HANDLE = -2,       /* a handle that is not (or no longer) a live wathiq_verifier / wathiq_wallet */
  WATHIQ_ERR_REJECTED = -3,         /* input refused: untrusted or malformed trust list, bad root, no QR in image */
  WATHIQ_ERR_ROLLBACK = -4,         /* a trust list older than (or equivocating with) the one held */
  WATHIQ_ERR_TRUST_LIST_STALE = -5, /* the trust list is past next_update plus the grace: sync first */
  WATHIQ_ERR_STATE = -6,            /* the verifier's records refused the call (e.g. too many challenges) */
  WATHIQ_ERR_NO_MEMORY = -7,
  WATHIQ_ERR_INTERNAL = -8,
  /* the wallet's (added in ABI version 1 with the wallet half) */
  WATHIQ_ERR_KEYSTORE = -9,  /* the app's keystore callbacks failed, were cancelled, or returned unusable output */
  WATHIQ_ERR_PIN = -10,      /* wrong PIN ("wrong_pin"), a wait ("pin_wait") or the PIN blocked ("pin_blocked") */
  WATHIQ_ERR_NOT_FOUND = -11 /* no credential (or device key) with that id */
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

/* ======================================================================================================
 * The wallet half: the citizen's encrypted wallet (an SQLCipher database in the app's folder) whose keys
 * live in the platform keystore, reached through callbacks the app provides.
 *
 *   wathiq_keystore ks = {WATHIQ_KEYSTORE_VERSION, app_ctx, state_read, state_write, device_factor,
 *                         create_key, sign, list_keys, delete_key};
 *   wathiq_wallet* w = NULL;
 *   char* err = NULL;
 *   int s = wathiq_wallet_open(app_dir, &ks, pin, pin_len, now, &w, &err);  // first run: wathiq_wallet_create
 *   if (s == WATHIQ_ERR_PIN) { ... err says "wrong_pin" and carries "pin": {"attemptsLeft", ...} ... }
 *   char* qr = NULL;
 *   s = wathiq_wallet_present(w, id, "age_over_18", NULL, 0, NULL, now, &qr, NULL, NULL, NULL, &err);
 *   wathiq_string_free(qr);
 *   wathiq_wallet_close(w);  // later calls: WATHIQ_ERR_BAD_HANDLE
 *   wathiq_wallet_free(w);
 *
 * The keystore (wallet/callback_keystore.h has the full contract). The platform holds:
 *  - a state blob of at most WATHIQ_KS_MAX_STATE bytes: the PIN attempt counter and the wrapped database
 *    key. Keep it where restoring an app-data backup does not roll it back (iOS: a Keychain item,
 *    ...ThisDeviceOnly; Android: no-backup storage) and replace it atomically in state_write;
 *  - the device factor: a NON-EXPORTABLE key computing a deterministic 32-byte PRF of a 16-byte input
 *    (Android: a Keystore/StrongBox HMAC-SHA256 key; iOS: ECDH of a Secure Enclave key with a fixed peer,
 *    HMAC'd with the input). The database key is wrapped under HKDF(factor || Argon2id(PIN)): a copy of
 *    the app's folder and state is useless without that key, and the wallet library counts attempts
 *    (4 per round, waits of 1 min, 5 min, 1 h, then blocked) in the state before each PIN is tried;
 *  - the device keys: P-256 key pairs generated in the platform keystore (never exportable). create_key
 *    returns the platform's id for it ([A-Za-z0-9._:-], 1..WATHIQ_KS_MAX_ID bytes) and its public key
 *    (SEC1 uncompressed 0x04||x||y, or DER SubjectPublicKeyInfo); sign signs the message with ECDSA over
 *    SHA-256 (raw r||s or DER); list_keys calls emit once per key; delete_key removes one.
 * Each callback returns WATHIQ_KS_OK, WATHIQ_KS_NOT_FOUND (state_read: nothing stored yet),
 * WATHIQ_KS_CANCELLED (the user dismissed a prompt) or any other nonzero value for a failure; those
 * become WATHIQ_ERR_KEYSTORE with "keystore_failed" / "keystore_cancelled". Outputs go into buffers the
 * library owns, of the capacity passed; every result is checked: a length beyond the capacity, a key off
 * the curve, a signature that does not verify under the key, a factor that is not deterministic, a state
 * that does not parse are WATHIQ_ERR_KEYSTORE ("keystore_bad_output", "keystore_bad_signature") or
 * "keystore_damaged". A factor that changed since the PIN was set (the platform dropped its key) is
 * "keystore_key_lost", and no attempt is counted. Callbacks are called on the thread that called the
 * library, never after wathiq_wallet_close returns; ctx must stay valid until then. The table itself is
 * copied: it may live on the stack.
 *
 * Wallet handles: a wathiq_wallet is used by one thread at a time (calls on one handle are serialized by
 * a lock, so a second thread waits); close and free must not race with other calls on the handle.
 * wathiq_wallet_close releases the database and key but keeps the handle, so every later call (and a
 * second close) returns WATHIQ_ERR_BAD_HANDLE instead of touching freed memory; wathiq_wallet_free releases
 * the handle itself (closing first if needed). Times (`now`) are seconds since the epoch, from the app.
 * JSON out: every string is escaped UTF-8; element values are as in the verifier's report.
 * ====================================================================================================== */

#define WATHIQ_KEYSTORE_VERSION 1
#define WATHIQ_KS_OK 0
#define WATHIQ_KS_NOT_FOUND 1
#define WATHIQ_KS_CANCELLED 2
#define WATHIQ_KS_MAX_STATE 65536
#define WATHIQ_KS_MAX_ID 128
#define WATHIQ_KS_MAX_PUBLIC_KEY 256
#define WATHIQ_KS_MAX_SIGNATURE 256
#define WATHIQ_KS_FACTOR_BYTES 32

/* list_keys' sink: returns 0 to go on, nonzero to stop (the list was refused). */
typedef int (*wathiq_ks_emit)(void* sink, const char* id, size_t id_len, const uint8_t* public_key,
                              size_t public_key_len);

typedef struct wathiq_keystore {
  uint32_t version; /* WATHIQ_KEYSTORE_VERSION */
  void* ctx;        /* passed to every callback */
  int (*state_read)(void* ctx, uint8_t* buf, size_t cap, size_t* len);
  int (*state_write)(void* ctx, const uint8_t* data, size_t len);
  int (*device_factor)(void* ctx, const uint8_t* input, size_t input_len, uint8_t out[WATHIQ_KS_FACTOR_BYTES]);
  int (*create_key)(void* ctx, char* id, size_t id_cap, size_t* id_len, uint8_t* public_key, size_t public_key_cap,
                    size_t* public_key_len);
  int (*sign)(void* ctx, const char* id, size_t id_len, const uint8_t* message, size_t message_len, uint8_t* sig,
              size_t sig_cap, size_t* sig_len);
  int (*list_keys)(void* ctx, void* sink, wathiq_ks_emit emit);
  int (*delete_key)(void* ctx, const char* id, size_t id_len);
} wathiq_keystore;

typedef struct wathiq_wallet wathiq_wallet;

/* A new wallet in app_dir (created 0700; app_dir/wallet.db must not exist): a fresh random database key,
 * wrapped under the PIN (4..64 bytes) in the platform state. WATHIQ_ERR_STATE "already_provisioned" when
 * the keystore already holds a wallet key. */
WATHIQ_API int wathiq_wallet_create(const char* app_dir, const wathiq_keystore* keystore, const uint8_t* pin,
                                    size_t pin_len, wathiq_wallet** out, char** error_json);
/* One counted PIN attempt, then the database opened. WATHIQ_ERR_PIN with *error_json
 * {"error": "wrong_pin" | "pin_wait" | "pin_blocked", "message", "pin": <state as wathiq_wallet_pin_state>}. */
WATHIQ_API int wathiq_wallet_open(const char* app_dir, const wathiq_keystore* keystore, const uint8_t* pin,
                                  size_t pin_len, int64_t now, wathiq_wallet** out, char** error_json);
/* The PIN state, without an attempt (for the PIN screen): {"provisioned", "failures", "attemptsLeft",
 * "totalAttemptsLeft", "lockedUntil", "blocked"}. */
WATHIQ_API int wathiq_wallet_pin_state(const wathiq_keystore* keystore, int64_t now, char** state_json,
                                       char** error_json);
/* A fresh device key for a credential to be issued to this wallet:
 * {"keyId", "alg": "ES256", "spki": <base64url DER SubjectPublicKeyInfo>} for the issuer. */
WATHIQ_API int wathiq_wallet_new_device_key(wathiq_wallet* wallet, char** key_json, char** error_json);
/* Verifies the credential (IssuerSigned bytes as issued, at most 1 MiB) in full against the signed trust
 * list (checked against the root certificate, DER or PEM, at `now`) and stores it. *summary_json:
 * {"id", "docType", "name": {"en", "ar"}, "agency", "validity", "deviceKey", ? "status"}. A refusal is
 * WATHIQ_ERR_REJECTED with the check's reason ("device_key_not_mine", "duplicate_credential",
 * "unknown_doc_type", an mdoc reason, ...); nothing is stored. */
WATHIQ_API int wathiq_wallet_import(wathiq_wallet* wallet, const uint8_t* issuer_signed, size_t issuer_signed_len,
                                    const uint8_t* trust_list, size_t trust_list_len, const uint8_t* root_cert,
                                    size_t root_cert_len, int64_t now, char** summary_json, char** error_json);
/* {"credentials": [summary, ...]}. */
WATHIQ_API int wathiq_wallet_list(wathiq_wallet* wallet, char** list_json, char** error_json);
/* A summary plus "elements": [{"id", "label": {"en", "ar"}, "value", ? "valueLabel": {"en", "ar"}}] in the
 * catalogue's order. WATHIQ_ERR_NOT_FOUND "unknown_credential". */
WATHIQ_API int wathiq_wallet_show(wathiq_wallet* wallet, int64_t id, char** view_json, char** error_json);
/* A presentation of credential `id`: the elements of the disclosure profile `profile`, or (profile NULL)
 * the element_count ids in `elements`. challenge_text NULL: time mode at `now`; else a scanned "WQC:..."
 * (challenge mode: its verifierName is the verifier's unverified claim, in *info_json for display).
 * *wq1_text: the "WQ1:..." text for the QR. png (optional, with png_len): the QR as a PNG, freed with
 * wathiq_bytes_free. info_json (optional): {"docType", "disclosed": [...], "verifierName", "characters",
 * "qrVersion"}. The device key signs through the keystore's sign callback. */
WATHIQ_API int wathiq_wallet_present(wathiq_wallet* wallet, int64_t id, const char* profile,
                                     const char* const* elements, size_t element_count, const char* challenge_text,
                                     int64_t now, char** wq1_text, uint8_t** png, size_t* png_len, char** info_json,
                                     char** error_json);
/* Removes credential `id` (and its device key when no other credential uses it). */
WATHIQ_API int wathiq_wallet_delete(wathiq_wallet* wallet, int64_t id, char** error_json);
/* One counted attempt with old_pin, then the key re-wrapped under new_pin in one state_write. */
WATHIQ_API int wathiq_wallet_change_pin(wathiq_wallet* wallet, const uint8_t* old_pin, size_t old_pin_len,
                                        const uint8_t* new_pin, size_t new_pin_len, int64_t now, char** error_json);
/* Closes the database and wipes the key; the handle stays allocated and refuses every later call with
 * WATHIQ_ERR_BAD_HANDLE (a second close included). WATHIQ_OK the first time. */
WATHIQ_API int wathiq_wallet_close(wathiq_wallet* wallet);
/* Closes if needed and frees the handle (NULL is fine); the pointer is invalid afterwards. */
WATHIQ_API void wathiq_wallet_free(wathiq_wallet* wallet);
/* Frees bytes this library returned (the PNG; NULL is fine). */
WATHIQ_API void wathiq_bytes_free(uint8_t* p);

#ifdef __cplusplus
}
#endif

#endif /* WATHIQ_WATHIQ_H_ */
