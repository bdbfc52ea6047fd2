/* The wallet half of the C ABI (wathiq.h), from C11 through libwathiq.so, with a platform keystore written
 * in C over OpenSSL (what the phone app's Android Keystore / Secure Enclave code does): the state blob in
 * memory, the device factor an HMAC-SHA256 key that never leaves this "platform", device keys P-256 pairs
 * that sign with DER signatures. The credential and the PKI come from bridge_wallet_fixture.
 *
 *   bridge_wallet_c_test <fixture-dir> <case>   (cases: flow, pin, args, keystore, closed; sqlite_first
 *   from bridge_wallet_c_sqlite_first, which links plain SQLite first)
 *
 * Prints "ok <case>" and exits 0, or names the failed check and exits 1. */
#define _POSIX_C_SOURCE 200809L
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wathiq/wathiq.h"

/* ---------------------------------------------------------------------------------------------------- */
/* Checks */

static int g_failures = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)
#define REQUIRE(cond)                                                            \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                   \
    }                                                                            \
  } while (0)

static int contains(const char* s, const char* needle) { return s && strstr(s, needle) != NULL; }

/* The error JSON's "error" is `code` (and the string is freed). */
static int error_is(char** err, const char* code) {
  char want[128];
  snprintf(want, sizeof want, "\"error\":\"%s\"", code);
  int ok = contains(*err, want);
  if (!ok) fprintf(stderr, "  expected error %s, got %s\n", code, *err ? *err : "(null)");
  wathiq_string_free(*err);
  *err = NULL;
  return ok;
}

/* An integer field of a JSON text ("name":123), or -999999 when absent. */
static long long json_int(const char* json, const char* name) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":", name);
  const char* p = json ? strstr(json, key) : NULL;
  if (!p) return -999999;
  return strtoll(p + strlen(key), NULL, 10);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Fixture files */

typedef struct {
  uint8_t* data;
  size_t len;
} blob;

static blob read_file(const char* dir, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s (run the bridge_wallet_fixture test first)\n", path);
    exit(1);
  }
  blob b = {NULL, 0};
  size_t cap = 0;
  for (;;) {
    if (b.len == cap) {
      cap = cap ? cap * 2 : 4096;
      b.data = realloc(b.data, cap);
      REQUIRE(b.data);
    }
    size_t n = fread(b.data + b.len, 1, cap - b.len, f);
    if (n == 0) break;
    b.len += n;
  }
  fclose(f);
  return b;
}

typedef struct {
  blob root, trust_list, credential, foreign, dk_priv, dk_pub;
  int64_t now;
} fixture;

static fixture load_fixture(const char* dir) {
  fixture fx;
  fx.root = read_file(dir, "root.der");
  fx.trust_list = read_file(dir, "trust_list.cose");
  fx.credential = read_file(dir, "credential.cbor");
  fx.foreign = read_file(dir, "foreign_credential.cbor");
  fx.dk_priv = read_file(dir, "device_key.priv");
  fx.dk_pub = read_file(dir, "device_key.pub");
  blob now = read_file(dir, "now.txt");
  now.data[now.len - 1] = '\0';
  fx.now = strtoll((const char*)now.data, NULL, 10);
  free(now.data);
  REQUIRE(fx.now > 0 && fx.dk_priv.len == 32 && fx.dk_pub.len == 65);
  return fx;
}

/* ---------------------------------------------------------------------------------------------------- */
/* The platform keystore, in C */

#define MAX_KEYS 16

typedef struct {
  char id[32];
  EVP_PKEY* key;
  uint8_t pub[65];
} platform_key;

typedef enum {
  HOSTILE_NONE = 0,
  HOSTILE_SIGN_FAILS,
  HOSTILE_SIGN_CANCELLED,
  HOSTILE_SIGN_CORRUPT,     /* a DER signature with one bit flipped */
  HOSTILE_SIGN_OVERLONG,    /* claims more bytes than the buffer */
  HOSTILE_SIGN_OTHER_KEY,   /* a valid signature by another key */
  HOSTILE_CREATE_OFF_CURVE, /* a public key that is not a curve point */
  HOSTILE_CREATE_BAD_ID,    /* an id with a character outside [A-Za-z0-9._:-] */
  HOSTILE_LIST_OVERLONG,    /* an entry longer than the caps */
  HOSTILE_LIST_DUPLICATE,   /* the same key twice */
  HOSTILE_FACTOR_FLAKY,     /* a factor that changes on every call */
  HOSTILE_STATE_OVERLONG,   /* state_read claims more than the buffer */
  HOSTILE_STATE_WRITE_FAILS
} hostility;

typedef struct {
  uint8_t state[WATHIQ_KS_MAX_STATE];
  size_t state_len;
  int has_state;
  uint8_t factor_key[32];
  platform_key keys[MAX_KEYS];
  int nkeys;
  int next_id;
  hostility hostile;
  int flaky_counter;
  int sign_calls;
} platform;

static int ks_state_read(void* ctx, uint8_t* buf, size_t cap, size_t* len) {
  platform* p = ctx;
  if (p->hostile == HOSTILE_STATE_OVERLONG) {
    *len = cap + 1;
    return WATHIQ_KS_OK;
  }
  if (!p->has_state) return WATHIQ_KS_NOT_FOUND;
  if (p->state_len > cap) return 99;
  memcpy(buf, p->state, p->state_len);
  *len = p->state_len;
  return WATHIQ_KS_OK;
}

static int ks_state_write(void* ctx, const uint8_t* data, size_t len) {
  platform* p = ctx;
  if (p->hostile == HOSTILE_STATE_WRITE_FAILS) return 7;
  if (len > sizeof p->state) return 99;
  memcpy(p->state, data, len);
  p->state_len = len;
  p->has_state = 1;
  return WATHIQ_KS_OK;
}

static int ks_device_factor(void* ctx, const uint8_t* input, size_t input_len, uint8_t out[WATHIQ_KS_FACTOR_BYTES]) {
  platform* p = ctx;
  size_t out_len = 0;
  if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, p->factor_key, sizeof p->factor_key, input, input_len, out,
                 WATHIQ_KS_FACTOR_BYTES, &out_len) ||
      out_len != WATHIQ_KS_FACTOR_BYTES) {
    return 5;
  }
  if (p->hostile == HOSTILE_FACTOR_FLAKY) out[0] ^= (uint8_t)(++p->flaky_counter);
  return WATHIQ_KS_OK;
}

static int public_of(EVP_PKEY* key, uint8_t pub[65]) {
  size_t n = 0;
  return EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, &n) && n == 65 && pub[0] == 0x04;
}

static platform_key* find_key(platform* p, const char* id, size_t id_len) {
  for (int i = 0; i < p->nkeys; ++i) {
    if (strlen(p->keys[i].id) == id_len && memcmp(p->keys[i].id, id, id_len) == 0) return &p->keys[i];
  }
  return NULL;
}

static int ks_create_key(void* ctx, char* id, size_t id_cap, size_t* id_len, uint8_t* public_key, size_t public_key_cap,
                         size_t* public_key_len) {
  platform* p = ctx;
  if (p->nkeys == MAX_KEYS) return 3;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) return 4;
  platform_key* k = &p->keys[p->nkeys];
  if (!public_of(key, k->pub)) {
    EVP_PKEY_free(key);
    return 4;
  }
  k->key = key;
  snprintf(k->id, sizeof k->id, "%s%d", p->hostile == HOSTILE_CREATE_BAD_ID ? "dk/" : "dk-", p->next_id++);
  ++p->nkeys;
  size_t n = strlen(k->id);
  if (n > id_cap || public_key_cap < 65) return 6;
  memcpy(id, k->id, n);
  *id_len = n;
  memcpy(public_key, k->pub, 65);
  if (p->hostile == HOSTILE_CREATE_OFF_CURVE) public_key[64] ^= 1;
  *public_key_len = 65;
  return WATHIQ_KS_OK;
}

static int der_sign(EVP_PKEY* key, const uint8_t* msg, size_t msg_len, uint8_t* sig, size_t cap, size_t* sig_len) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t n = cap;
  int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestSign(md, sig, &n, msg, msg_len) == 1;
  EVP_MD_CTX_free(md);
  *sig_len = n;
  return ok;
}

static int ks_sign(void* ctx, const char* id, size_t id_len, const uint8_t* message, size_t message_len, uint8_t* sig,
                   size_t sig_cap, size_t* sig_len) {
  platform* p = ctx;
  ++p->sign_calls;
  if (p->hostile == HOSTILE_SIGN_FAILS) return 42;
  if (p->hostile == HOSTILE_SIGN_CANCELLED) return WATHIQ_KS_CANCELLED;
  platform_key* k = find_key(p, id, id_len);
  if (!k) return WATHIQ_KS_NOT_FOUND;
  EVP_PKEY* signer = k->key;
  EVP_PKEY* other = NULL;
  if (p->hostile == HOSTILE_SIGN_OTHER_KEY) signer = other = EVP_EC_gen("P-256");
  int ok = signer && der_sign(signer, message, message_len, sig, sig_cap, sig_len);
  EVP_PKEY_free(other);
  if (!ok) return 9;
  if (p->hostile == HOSTILE_SIGN_CORRUPT) sig[*sig_len - 3] ^= 0x10;
  if (p->hostile == HOSTILE_SIGN_OVERLONG) *sig_len = sig_cap + 100;
  return WATHIQ_KS_OK;
}

static int ks_list_keys(void* ctx, void* sink, wathiq_ks_emit emit) {
  platform* p = ctx;
  for (int i = 0; i < p->nkeys; ++i) {
    size_t id_len = p->hostile == HOSTILE_LIST_OVERLONG ? 100000 : strlen(p->keys[i].id);
    if (emit(sink, p->keys[i].id, id_len, p->keys[i].pub, 65) != 0) return WATHIQ_KS_OK;
    if (p->hostile == HOSTILE_LIST_DUPLICATE && emit(sink, "dup", 3, p->keys[i].pub, 65) != 0) return WATHIQ_KS_OK;
  }
  return WATHIQ_KS_OK;
}

static int ks_delete_key(void* ctx, const char* id, size_t id_len) {
  platform* p = ctx;
  platform_key* k = find_key(p, id, id_len);
  if (!k) return WATHIQ_KS_NOT_FOUND;
  EVP_PKEY_free(k->key);
  *k = p->keys[--p->nkeys];
  return WATHIQ_KS_OK;
}

/* A platform that already holds the fixture's device key (as after create_key for the issuer). */
static platform* new_platform(const fixture* fx) {
  platform* p = calloc(1, sizeof *p);
  REQUIRE(p);
  REQUIRE(RAND_bytes(p->factor_key, sizeof p->factor_key) == 1);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* priv = BN_bin2bn(fx->dk_priv.data, (int)fx->dk_priv.len, NULL);
  REQUIRE(bld && priv);
  REQUIRE(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0));
  REQUIRE(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv));
  REQUIRE(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, fx->dk_pub.data, fx->dk_pub.len));
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  EVP_PKEY* key = NULL;
  REQUIRE(params && pctx && EVP_PKEY_fromdata_init(pctx) == 1 &&
          EVP_PKEY_fromdata(pctx, &key, EVP_PKEY_KEYPAIR, params) == 1);
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_clear_free(priv);
  platform_key* k = &p->keys[p->nkeys++];
  k->key = key;
  snprintf(k->id, sizeof k->id, "fixture-key");
  REQUIRE(public_of(key, k->pub) && memcmp(k->pub, fx->dk_pub.data, 65) == 0);
  return p;
}

static void free_platform(platform* p) {
  for (int i = 0; i < p->nkeys; ++i) EVP_PKEY_free(p->keys[i].key);
  free(p);
}

static wathiq_keystore table_for(platform* p) {
  wathiq_keystore ks = {WATHIQ_KEYSTORE_VERSION, p,       ks_state_read, ks_state_write, ks_device_factor,
                        ks_create_key,           ks_sign, ks_list_keys,  ks_delete_key};
  return ks;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Helpers over the ABI */

static const uint8_t kPin[] = "246810";
static const size_t kPinLen = 6;

static char* g_work = NULL;

static void app_dir(char* out, size_t cap, const char* name) { snprintf(out, cap, "%s/%s", g_work, name); }

static wathiq_wallet* create_wallet(const char* name, platform* p) {
  char dir[4096];
  app_dir(dir, sizeof dir, name);
  wathiq_keystore ks = table_for(p);
  wathiq_wallet* w = NULL;
  char* err = NULL;
  int s = wathiq_wallet_create(dir, &ks, kPin, kPinLen, &w, &err);
  if (s != WATHIQ_OK) fprintf(stderr, "create: %d %s\n", s, err ? err : "");
  REQUIRE(s == WATHIQ_OK && w && !err);
  return w;
}

static int open_wallet(const char* name, platform* p, const uint8_t* pin, size_t pin_len, int64_t now,
                       wathiq_wallet** w, char** err) {
  char dir[4096];
  app_dir(dir, sizeof dir, name);
  wathiq_keystore ks = table_for(p);
  return wathiq_wallet_open(dir, &ks, pin, pin_len, now, w, err);
}

static int64_t import_fixture(wathiq_wallet* w, const fixture* fx) {
  char* summary = NULL;
  char* err = NULL;
  int s = wathiq_wallet_import(w, fx->credential.data, fx->credential.len, fx->trust_list.data, fx->trust_list.len,
                               fx->root.data, fx->root.len, fx->now, &summary, &err);
  if (s != WATHIQ_OK) fprintf(stderr, "import: %d %s\n", s, err ? err : "");
  REQUIRE(s == WATHIQ_OK && summary);
  CHECK(contains(summary, "\"docType\":\"kw.gov.paci.civil_id.1\""));
  int64_t id = json_int(summary, "id");
  wathiq_string_free(summary);
  REQUIRE(id > 0);
  return id;
}

static const char* const kElements[] = {"full_name_ar", "civil_id_number"};

/* Verifies `qr` with the verifier half of the ABI; returns its status. */
static int verify(const fixture* fx, wathiq_verifier* v, const char* qr, int64_t at) {
  char* report = NULL;
  char* err = NULL;
  int s = wathiq_verify_qr(v, qr, at, &report, &err);
  if (s != WATHIQ_VALID) fprintf(stderr, "verify: %d %s %s\n", s, report ? report : "", err ? err : "");
  (void)fx;
  wathiq_string_free(report);
  wathiq_string_free(err);
  return s;
}

static wathiq_verifier* open_verifier(const fixture* fx) {
  wathiq_verifier* v = NULL;
  char* err = NULL;
  int s = wathiq_verifier_open(fx->trust_list.data, fx->trust_list.len, fx->root.data, fx->root.len, 0, NULL, fx->now,
                               &v, &err);
  if (s != WATHIQ_OK) fprintf(stderr, "verifier_open: %s\n", err ? err : "");
  REQUIRE(s == WATHIQ_OK && v);
  return v;
}

static double seconds_since(const struct timespec* t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Cases */

/* create -> pin state -> new device key -> import -> refusals -> list -> show -> present (time mode, PNG;
 * profile; challenge) -> verified valid -> delete -> close. */
static void case_flow(const fixture* fx) {
  platform* p = new_platform(fx);
  wathiq_wallet* w = create_wallet("flow", p);
  char* err = NULL;
  char* out = NULL;

  wathiq_keystore ks = table_for(p);
  REQUIRE(wathiq_wallet_pin_state(&ks, fx->now, &out, &err) == WATHIQ_OK);
  CHECK(contains(out, "\"provisioned\":true"));
  CHECK(json_int(out, "attemptsLeft") == 4);
  CHECK(json_int(out, "totalAttemptsLeft") == 16);
  wathiq_string_free(out);

  /* A fresh device key for the issuer: made by the platform, only its public part comes out. */
  REQUIRE(wathiq_wallet_new_device_key(w, &out, &err) == WATHIQ_OK);
  CHECK(contains(out, "\"alg\":\"ES256\"") && contains(out, "\"keyId\":\"") && contains(out, "\"spki\":\"MFkw"));
  wathiq_string_free(out);
  CHECK(p->nkeys == 2);

  int64_t id = import_fixture(w, fx);
  /* The same credential again; one issued to a key this platform does not hold; garbage. */
  char* summary = NULL;
  CHECK(wathiq_wallet_import(w, fx->credential.data, fx->credential.len, fx->trust_list.data, fx->trust_list.len,
                             fx->root.data, fx->root.len, fx->now, &summary, &err) == WATHIQ_ERR_REJECTED);
  CHECK(!summary && error_is(&err, "duplicate_credential"));
  CHECK(wathiq_wallet_import(w, fx->foreign.data, fx->foreign.len, fx->trust_list.data, fx->trust_list.len,
                             fx->root.data, fx->root.len, fx->now, &summary, &err) == WATHIQ_ERR_REJECTED);
  CHECK(error_is(&err, "device_key_not_mine"));
  static const uint8_t garbage[] = {0xa1, 0x61, 0x78, 0xff, 0x00};
  CHECK(wathiq_wallet_import(w, garbage, sizeof garbage, fx->trust_list.data, fx->trust_list.len, fx->root.data,
                             fx->root.len, fx->now, &summary, &err) == WATHIQ_ERR_REJECTED);
  wathiq_string_free(err);
  err = NULL;
  /* A trust list that does not verify under the root (one byte changed). */
  uint8_t* tl = malloc(fx->trust_list.len);
  REQUIRE(tl);
  memcpy(tl, fx->trust_list.data, fx->trust_list.len);
  tl[fx->trust_list.len - 5] ^= 0x01;
  CHECK(wathiq_wallet_import(w, fx->credential.data, fx->credential.len, tl, fx->trust_list.len, fx->root.data,
                             fx->root.len, fx->now, &summary, &err) == WATHIQ_ERR_REJECTED);
  wathiq_string_free(err);
  err = NULL;
  free(tl);

  REQUIRE(wathiq_wallet_list(w, &out, &err) == WATHIQ_OK);
  CHECK(contains(out, "\"credentials\":[{") && contains(out, "kw.gov.paci.civil_id.1"));
  CHECK(json_int(out, "id") == id);
  wathiq_string_free(out);

  REQUIRE(wathiq_wallet_show(w, id, &out, &err) == WATHIQ_OK);
  CHECK(contains(out, "\"elements\":[{"));
  CHECK(contains(out, "\"label\":{\"ar\":\"") && contains(out, "\"en\":\"Civil ID number\""));
  CHECK(contains(out, "290010112346"));
  CHECK(contains(out, "\"valueLabel\":{\"ar\":\"")); /* sex 1: ذكر / Male */
  wathiq_string_free(out);
  CHECK(wathiq_wallet_show(w, id + 100, &out, &err) == WATHIQ_ERR_NOT_FOUND && !out);
  CHECK(error_is(&err, "unknown_credential"));

  wathiq_verifier* v = open_verifier(fx);

  /* Time mode, two elements, with the PNG and the info; timed. */
  char* qr = NULL;
  uint8_t* png = NULL;
  size_t png_len = 0;
  char* info = NULL;
  int sign_before = p->sign_calls;
  REQUIRE(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now, &qr, &png, &png_len, &info, &err) ==
          WATHIQ_OK);
  CHECK(p->sign_calls == sign_before + 1);
  CHECK(qr && strncmp(qr, "WQ1:", 4) == 0);
  CHECK(png && png_len > 100 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
  CHECK(contains(info, "\"disclosed\":[\"full_name_ar\",\"civil_id_number\"]") && json_int(info, "qrVersion") > 0);
  CHECK(verify(fx, v, qr, fx->now + 5) == WATHIQ_VALID);
  CHECK(verify(fx, v, qr, fx->now + 6) == WATHIQ_INVALID); /* replayed */
  printf("time-mode QR: %zu characters, PNG %zu bytes, %s\n", strlen(qr), png_len, info);
  wathiq_string_free(qr);
  wathiq_bytes_free(png);
  wathiq_string_free(info);

  enum { kRuns = 10 };
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < kRuns; ++i) {
    REQUIRE(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now + 10 + i, &qr, NULL, NULL, NULL, &err) ==
            WATHIQ_OK);
    wathiq_string_free(qr);
  }
  double text_ms = seconds_since(&t0) * 1000.0 / kRuns;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < kRuns; ++i) {
    REQUIRE(wathiq_wallet_present(w, id, "checkpoint_identity", NULL, 0, NULL, fx->now + 40 + i, &qr, &png, &png_len,
                                  NULL, &err) == WATHIQ_OK);
    wathiq_string_free(qr);
    wathiq_bytes_free(png);
  }
  double png_ms = seconds_since(&t0) * 1000.0 / kRuns;
  printf("figure: wathiq_wallet_present (2 elements, WQ1 text only): %.2f ms mean of %d\n", text_ms, kRuns);
  printf("figure: wathiq_wallet_present (profile checkpoint_identity, WQ1 + PNG): %.2f ms mean of %d\n", png_ms, kRuns);

  /* A profile; an unknown profile; an element the credential does not hold. */
  REQUIRE(wathiq_wallet_present(w, id, "age_over_18", NULL, 0, NULL, fx->now + 100, &qr, NULL, NULL, &info, &err) ==
          WATHIQ_OK);
  CHECK(contains(info, "\"disclosed\":[\"age_over_18\"]"));
  CHECK(verify(fx, v, qr, fx->now + 101) == WATHIQ_VALID);
  wathiq_string_free(qr);
  wathiq_string_free(info);
  CHECK(wathiq_wallet_present(w, id, "no_such_profile", NULL, 0, NULL, fx->now, &qr, NULL, NULL, NULL, &err) < 0);
  CHECK(!qr);
  wathiq_string_free(err);
  err = NULL;
  const char* missing[] = {"full_name_ar", "no_such_element"};
  CHECK(wathiq_wallet_present(w, id, NULL, missing, 2, NULL, fx->now, &qr, NULL, NULL, NULL, &err) < 0 && !qr);
  wathiq_string_free(err);
  err = NULL;

  /* Challenge mode: the verifier's WQC text, answered, verified once. */
  char* wqc = NULL;
  REQUIRE(wathiq_verifier_challenge(v, "Checkpoint 7", fx->now + 200, &wqc, &err) == WATHIQ_OK);
  REQUIRE(wathiq_wallet_present(w, id, "checkpoint_identity", NULL, 0, wqc, fx->now + 210, &qr, NULL, NULL, &info,
                                &err) == WATHIQ_OK);
  CHECK(contains(info, "\"verifierName\":\"Checkpoint 7\""));
  CHECK(verify(fx, v, qr, fx->now + 220) == WATHIQ_VALID);
  CHECK(verify(fx, v, qr, fx->now + 221) == WATHIQ_INVALID);
  wathiq_string_free(qr);
  wathiq_string_free(info);
  wathiq_string_free(wqc);
  CHECK(wathiq_wallet_present(w, id, NULL, kElements, 2, "WQC:not-a-challenge", fx->now, &qr, NULL, NULL, NULL, &err) <
        0);
  CHECK(!qr);
  wathiq_string_free(err);
  err = NULL;
  wathiq_verifier_free(v);

  /* Delete: the credential goes, and its device key with it (no other credential uses it). */
  int keys_before = p->nkeys;
  CHECK(wathiq_wallet_delete(w, id, &err) == WATHIQ_OK);
  CHECK(p->nkeys == keys_before - 1 && !find_key(p, "fixture-key", 11));
  CHECK(wathiq_wallet_delete(w, id, &err) == WATHIQ_ERR_NOT_FOUND);
  CHECK(error_is(&err, "unknown_credential"));
  REQUIRE(wathiq_wallet_list(w, &out, &err) == WATHIQ_OK);
  CHECK(contains(out, "\"credentials\":[]"));
  wathiq_string_free(out);

  CHECK(wathiq_wallet_close(w) == WATHIQ_OK);
  wathiq_wallet_free(w);
  free_platform(p);
}

/* Wrong PINs count down (the counter in the platform's state), a right PIN resets, waits apply, change of
 * PIN, a platform key that changed is told apart from a wrong PIN. */
static void case_pin(const fixture* fx) {
  platform* p = new_platform(fx);
  wathiq_wallet* w = create_wallet("pin", p);
  int64_t id = import_fixture(w, fx);
  CHECK(wathiq_wallet_close(w) == WATHIQ_OK);
  wathiq_wallet_free(w);
  w = NULL;

  static const uint8_t wrong[] = "999999";
  char* err = NULL;
  char* out = NULL;
  wathiq_keystore ks = table_for(p);
  for (int i = 1; i <= 3; ++i) {
    CHECK(open_wallet("pin", p, wrong, 6, fx->now, &w, &err) == WATHIQ_ERR_PIN && !w);
    CHECK(contains(err, "\"pin\":{") && json_int(err, "attemptsLeft") == 4 - i && json_int(err, "failures") == i);
    CHECK(error_is(&err, "wrong_pin"));
    REQUIRE(wathiq_wallet_pin_state(&ks, fx->now, &out, &err) == WATHIQ_OK);
    CHECK(json_int(out, "attemptsLeft") == 4 - i && json_int(out, "totalAttemptsLeft") == 16 - i);
    wathiq_string_free(out);
  }
  /* The right PIN opens and resets the count. */
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  REQUIRE(open_wallet("pin", p, kPin, kPinLen, fx->now, &w, &err) == WATHIQ_OK && w);
  printf("figure: wathiq_wallet_open (Argon2id opslimit 3, 64 MiB; factor callback; SQLCipher open): %.0f ms\n",
         seconds_since(&t0) * 1000.0);
  REQUIRE(wathiq_wallet_pin_state(&ks, fx->now, &out, &err) == WATHIQ_OK);
  CHECK(json_int(out, "failures") == 0 && json_int(out, "attemptsLeft") == 4);
  wathiq_string_free(out);

  /* Change of PIN: a wrong old PIN is a counted attempt; then the new PIN works and the old does not. */
  static const uint8_t new_pin[] = "13579135";
  CHECK(wathiq_wallet_change_pin(w, wrong, 6, new_pin, 8, fx->now, &err) == WATHIQ_ERR_PIN);
  CHECK(json_int(err, "attemptsLeft") == 3);
  CHECK(error_is(&err, "wrong_pin"));
  CHECK(wathiq_wallet_change_pin(w, kPin, kPinLen, (const uint8_t*)"12", 2, fx->now, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "bad_pin"));
  CHECK(wathiq_wallet_change_pin(w, kPin, kPinLen, new_pin, 8, fx->now, &err) == WATHIQ_OK);
  CHECK(wathiq_wallet_close(w) == WATHIQ_OK);
  wathiq_wallet_free(w);
  w = NULL;
  CHECK(open_wallet("pin", p, kPin, kPinLen, fx->now, &w, &err) == WATHIQ_ERR_PIN && !w);
  CHECK(error_is(&err, "wrong_pin"));
  REQUIRE(open_wallet("pin", p, new_pin, 8, fx->now, &w, &err) == WATHIQ_OK);
  REQUIRE(wathiq_wallet_show(w, id, &out, &err) == WATHIQ_OK);
  wathiq_string_free(out);
  wathiq_wallet_free(w); /* free closes */
  w = NULL;

  /* Four wrong in a round: a wait of 60 s, enforced with the app's clock, no PIN tried meanwhile. */
  for (int i = 0; i < 4; ++i) {
    CHECK(open_wallet("pin", p, wrong, 6, fx->now, &w, &err) == WATHIQ_ERR_PIN);
    CHECK(error_is(&err, "wrong_pin"));
  }
  CHECK(open_wallet("pin", p, new_pin, 8, fx->now + 30, &w, &err) == WATHIQ_ERR_PIN && !w);
  CHECK(json_int(err, "lockedUntil") == fx->now + 60);
  CHECK(error_is(&err, "pin_wait"));
  REQUIRE(open_wallet("pin", p, new_pin, 8, fx->now + 61, &w, &err) == WATHIQ_OK);
  wathiq_wallet_free(w);
  w = NULL;

  /* The platform lost its factor key: "keystore_key_lost", and no attempt is counted. */
  uint8_t saved[32];
  memcpy(saved, p->factor_key, 32);
  REQUIRE(RAND_bytes(p->factor_key, 32) == 1);
  CHECK(open_wallet("pin", p, new_pin, 8, fx->now + 100, &w, &err) == WATHIQ_ERR_KEYSTORE && !w);
  CHECK(error_is(&err, "keystore_key_lost"));
  memcpy(p->factor_key, saved, 32);
  REQUIRE(wathiq_wallet_pin_state(&ks, fx->now + 100, &out, &err) == WATHIQ_OK);
  CHECK(json_int(out, "failures") == 0);
  wathiq_string_free(out);

  /* A copy of the app folder with another platform (its own factor key) opens nothing. */
  platform* other = new_platform(fx);
  memcpy(other->state, p->state, p->state_len);
  other->state_len = p->state_len;
  other->has_state = 1;
  CHECK(open_wallet("pin", other, new_pin, 8, fx->now + 100, &w, &err) == WATHIQ_ERR_KEYSTORE && !w);
  CHECK(error_is(&err, "keystore_key_lost"));
  free_platform(other);

  /* A second wallet on a provisioned keystore is refused; nothing is left behind. */
  char dir[4096];
  app_dir(dir, sizeof dir, "pin-second");
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, &w, &err) == WATHIQ_ERR_STATE && !w);
  CHECK(error_is(&err, "already_provisioned"));
  free_platform(p);
}

/* Null and hostile arguments: status codes, never a crash, outputs cleared. */
static void case_args(const fixture* fx) {
  platform* p = new_platform(fx);
  wathiq_keystore ks = table_for(p);
  char dir[4096];
  app_dir(dir, sizeof dir, "args");
  wathiq_wallet* w = (wathiq_wallet*)(uintptr_t)1; /* must be overwritten with NULL */
  char* err = NULL;
  char* out = (char*)(uintptr_t)1;

  CHECK(wathiq_wallet_create(NULL, &ks, kPin, kPinLen, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT && w == NULL);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_create("", &ks, kPin, kPinLen, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_create(dir, NULL, kPin, kPinLen, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_create(dir, &ks, NULL, 6, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "bad_pin"));
  CHECK(wathiq_wallet_create(dir, &ks, kPin, 0, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "bad_pin"));
  CHECK(wathiq_wallet_create(dir, &ks, (const uint8_t*)"12", 2, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "bad_pin"));
  CHECK(wathiq_wallet_create(dir, &ks, kPin, (size_t)1 << 40, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "bad_pin"));
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, NULL, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, NULL, NULL) == WATHIQ_ERR_INVALID_ARGUMENT);
  /* A table of the wrong version, and one with a callback missing. */
  wathiq_keystore bad = ks;
  bad.version = 99;
  CHECK(wathiq_wallet_create(dir, &bad, kPin, kPinLen, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  bad = ks;
  bad.sign = NULL;
  CHECK(wathiq_wallet_create(dir, &bad, kPin, kPinLen, &w, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(!p->has_state); /* nothing was provisioned by any of these */
  CHECK(wathiq_wallet_open(dir, &ks, kPin, kPinLen, 0, &w, &err) < 0 && !w);
  CHECK(error_is(&err, "no_wallet"));
  CHECK(wathiq_wallet_pin_state(&ks, 0, NULL, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_pin_state(NULL, 0, &out, &err) == WATHIQ_ERR_INVALID_ARGUMENT && !out);
  CHECK(error_is(&err, "invalid_argument"));
  REQUIRE(wathiq_wallet_pin_state(&ks, 0, &out, NULL) == WATHIQ_OK);
  CHECK(contains(out, "\"provisioned\":false"));
  wathiq_string_free(out);

  w = create_wallet("args", p);
  int64_t id = import_fixture(w, fx);
  char* qr = (char*)(uintptr_t)1;
  uint8_t* png = (uint8_t*)(uintptr_t)1;
  size_t png_len = 77;
  CHECK(wathiq_wallet_present(w, id, NULL, NULL, 0, NULL, fx->now, &qr, &png, &png_len, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(!qr && !png && png_len == 0);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now, NULL, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now, &qr, &png, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_present(w, id, "", NULL, 0, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  const char* with_null[] = {"full_name_ar", NULL};
  CHECK(wathiq_wallet_present(w, id, NULL, with_null, 2, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_present(w, id, NULL, kElements, (size_t)-1, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  /* An unterminated, over-long profile name and challenge: bounded reads. */
  char* longtext = malloc(20000);
  REQUIRE(longtext);
  memset(longtext, 'A', 20000);
  longtext[19999] = '\0';
  CHECK(wathiq_wallet_present(w, id, longtext, NULL, 0, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_present(w, id, NULL, kElements, 2, longtext, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  free(longtext);
  CHECK(wathiq_wallet_present(w, -5, NULL, kElements, 2, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_NOT_FOUND);
  CHECK(error_is(&err, "unknown_credential"));
  CHECK(wathiq_wallet_import(w, NULL, 5, fx->trust_list.data, fx->trust_list.len, fx->root.data, fx->root.len, fx->now,
                             &out, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_import(w, fx->credential.data, fx->credential.len, fx->trust_list.data, fx->trust_list.len,
                             fx->root.data, fx->root.len, fx->now, NULL, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_import(w, fx->credential.data, (size_t)2 << 20, fx->trust_list.data, fx->trust_list.len,
                             fx->root.data, fx->root.len, fx->now, &out, &err) == WATHIQ_ERR_REJECTED);
  CHECK(error_is(&err, "too_large"));
  CHECK(wathiq_wallet_import(w, fx->credential.data, fx->credential.len, fx->trust_list.data, fx->trust_list.len,
                             fx->credential.data, 10, fx->now, &out, &err) == WATHIQ_ERR_REJECTED);
  CHECK(error_is(&err, "bad_root"));
  CHECK(wathiq_wallet_list(w, NULL, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_show(w, id, NULL, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_new_device_key(w, NULL, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "invalid_argument"));
  CHECK(wathiq_wallet_change_pin(w, NULL, 0, kPin, kPinLen, fx->now, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(error_is(&err, "bad_pin"));
  /* Every call works without error_json too. */
  CHECK(wathiq_wallet_show(w, -1, &out, NULL) == WATHIQ_ERR_NOT_FOUND && !out);

  /* Handles that are not wallets. */
  uint64_t fake[8] = {0};
  wathiq_wallet* not_a_wallet = (wathiq_wallet*)(void*)fake;
  CHECK(wathiq_wallet_list(NULL, &out, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_list(not_a_wallet, &out, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_close(NULL) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(wathiq_wallet_close(not_a_wallet) == WATHIQ_ERR_BAD_HANDLE);
  wathiq_wallet_free(NULL);
  wathiq_wallet_free(not_a_wallet); /* not ours: ignored */
  wathiq_bytes_free(NULL);
  wathiq_string_free(NULL);

  /* The existing database is not overwritten by a second create. */
  wathiq_wallet_free(w);
  free_platform(p);
  p = new_platform(fx);
  ks = table_for(p);
  w = NULL;
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, &w, &err) < 0 && !w);
  wathiq_string_free(err);
  err = NULL;
  free_platform(p);
}

/* Every kind of hostile keystore output is a clear WATHIQ_ERR_KEYSTORE, and the wallet stays usable. */
static void case_keystore(const fixture* fx) {
  platform* p = new_platform(fx);
  char* err = NULL;
  char* out = NULL;
  char dir[4096];
  wathiq_keystore ks = table_for(p);
  wathiq_wallet* w = NULL;

  /* Provisioning with a factor that is not deterministic, or a state that cannot be written. */
  app_dir(dir, sizeof dir, "ks-flaky");
  p->hostile = HOSTILE_FACTOR_FLAKY;
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, &w, &err) == WATHIQ_ERR_KEYSTORE && !w);
  CHECK(error_is(&err, "keystore_bad_output"));
  char db[4200];
  snprintf(db, sizeof db, "%s/wallet.db", dir);
  struct stat st;
  CHECK(stat(db, &st) != 0); /* the refused wallet left no database behind */
  p->hostile = HOSTILE_STATE_WRITE_FAILS;
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, &w, &err) == WATHIQ_ERR_KEYSTORE && !w);
  CHECK(error_is(&err, "keystore_failed"));
  p->hostile = HOSTILE_STATE_OVERLONG;
  CHECK(wathiq_wallet_pin_state(&ks, fx->now, &out, &err) == WATHIQ_ERR_KEYSTORE && !out);
  CHECK(error_is(&err, "keystore_bad_output"));
  p->hostile = HOSTILE_NONE;
  CHECK(!p->has_state);

  w = create_wallet("ks", p);
  int64_t id = import_fixture(w, fx);
  char* qr = NULL;
  static const struct {
    hostility h;
    const char* reason;
  } kSignCases[] = {
      {HOSTILE_SIGN_FAILS, "keystore_failed"},
      {HOSTILE_SIGN_CANCELLED, "keystore_cancelled"},
      {HOSTILE_SIGN_CORRUPT, "keystore_bad_signature"},
      {HOSTILE_SIGN_OVERLONG, "keystore_bad_output"},
      {HOSTILE_SIGN_OTHER_KEY, "keystore_bad_signature"},
      {HOSTILE_LIST_OVERLONG, "keystore_bad_output"},
      {HOSTILE_LIST_DUPLICATE, "keystore_bad_output"},
  };
  for (size_t i = 0; i < sizeof kSignCases / sizeof kSignCases[0]; ++i) {
    p->hostile = kSignCases[i].h;
    CHECK(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
          WATHIQ_ERR_KEYSTORE);
    CHECK(!qr);
    if (!error_is(&err, kSignCases[i].reason)) fprintf(stderr, "  (sign case %zu)\n", i);
  }
  p->hostile = HOSTILE_CREATE_OFF_CURVE;
  CHECK(wathiq_wallet_new_device_key(w, &out, &err) == WATHIQ_ERR_KEYSTORE && !out);
  CHECK(error_is(&err, "keystore_bad_output"));
  p->hostile = HOSTILE_CREATE_BAD_ID;
  CHECK(wathiq_wallet_new_device_key(w, &out, &err) == WATHIQ_ERR_KEYSTORE && !out);
  CHECK(error_is(&err, "keystore_bad_output"));
  /* The platform drops the two keys it was made to return badly. */
  while (p->nkeys > 1) EVP_PKEY_free(p->keys[--p->nkeys].key);
  p->hostile = HOSTILE_NONE;

  /* After all that, the wallet presents normally. */
  REQUIRE(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now, &qr, NULL, NULL, NULL, &err) == WATHIQ_OK);
  wathiq_verifier* v = open_verifier(fx);
  CHECK(verify(fx, v, qr, fx->now + 1) == WATHIQ_VALID);
  wathiq_verifier_free(v);
  wathiq_string_free(qr);
  wathiq_wallet_free(w);
  w = NULL;

  /* A damaged state blob. */
  p->state[p->state_len / 2] ^= 0xff;
  p->state_len -= 3;
  CHECK(open_wallet("ks", p, kPin, kPinLen, fx->now, &w, &err) == WATHIQ_ERR_KEYSTORE && !w);
  CHECK(error_is(&err, "keystore_damaged"));
  free_platform(p);
}

/* Use after close is refused; a second close is detected; free after close is fine. */
static void case_closed(const fixture* fx) {
  platform* p = new_platform(fx);
  wathiq_wallet* w = create_wallet("closed", p);
  int64_t id = import_fixture(w, fx);
  char* err = NULL;
  char* out = NULL;
  char* qr = NULL;
  CHECK(wathiq_wallet_close(w) == WATHIQ_OK);
  CHECK(wathiq_wallet_close(w) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(wathiq_wallet_list(w, &out, &err) == WATHIQ_ERR_BAD_HANDLE && !out);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_show(w, id, &out, &err) == WATHIQ_ERR_BAD_HANDLE && !out);
  CHECK(error_is(&err, "bad_handle"));
  int sign_before = p->sign_calls;
  CHECK(wathiq_wallet_present(w, id, NULL, kElements, 2, NULL, fx->now, &qr, NULL, NULL, NULL, &err) ==
        WATHIQ_ERR_BAD_HANDLE);
  CHECK(!qr && p->sign_calls == sign_before);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_import(w, fx->credential.data, fx->credential.len, fx->trust_list.data, fx->trust_list.len,
                             fx->root.data, fx->root.len, fx->now, &out, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_delete(w, id, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_change_pin(w, kPin, kPinLen, kPin, kPinLen, fx->now, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(error_is(&err, "bad_handle"));
  CHECK(wathiq_wallet_new_device_key(w, &out, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(error_is(&err, "bad_handle"));
  wathiq_wallet_free(w);

  /* The data survived the close: reopen and find the credential. */
  REQUIRE(open_wallet("closed", p, kPin, kPinLen, fx->now, &w, &err) == WATHIQ_OK);
  REQUIRE(wathiq_wallet_list(w, &out, &err) == WATHIQ_OK);
  CHECK(json_int(out, "id") == id);
  wathiq_string_free(out);
  wathiq_wallet_free(w); /* free without close */
  free_platform(p);
}

/* Run from an executable that links plain SQLite ahead of libwathiq.so (design/DEPENDENCIES.md, trap 1:
 * libwathiq.so takes SQLCipher's shared library, so symbol lookup can land in plain SQLite): the wallet
 * refuses to create a database rather than write one unencrypted. */
static void case_sqlite_first(const fixture* fx) {
  platform* p = new_platform(fx);
  wathiq_keystore ks = table_for(p);
  char dir[4096];
  app_dir(dir, sizeof dir, "sqlite-first");
  wathiq_wallet* w = NULL;
  char* err = NULL;
  CHECK(wathiq_wallet_create(dir, &ks, kPin, kPinLen, &w, &err) == WATHIQ_ERR_REJECTED && !w);
  CHECK(contains(err, "is not the SQLCipher"));
  CHECK(error_is(&err, "unsupported"));
  char db[4200];
  snprintf(db, sizeof db, "%s/wallet.db", dir);
  FILE* f = fopen(db, "rb");
  if (f) { /* if anything is left, it is not a plaintext SQLite file */
    char head[16] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    CHECK(n < 15 || memcmp(head, "SQLite format 3", 15) != 0);
  }
  free_platform(p);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <fixture-dir> flow|pin|args|keystore|closed|sqlite_first\n", argv[0]);
    return 2;
  }
  REQUIRE(wathiq_abi_version() == WATHIQ_ABI_VERSION);
  fixture fx = load_fixture(argv[1]);
  const char* tmp = getenv("TMPDIR");
  char work[4096];
  snprintf(work, sizeof work, "%s/wathiq-wallet-c-XXXXXX", tmp && *tmp ? tmp : ".");
  REQUIRE(mkdtemp(work) != NULL);
  g_work = work;
  const char* name = argv[2];
  if (strcmp(name, "flow") == 0) case_flow(&fx);
  else if (strcmp(name, "pin") == 0) case_pin(&fx);
  else if (strcmp(name, "args") == 0) case_args(&fx);
  else if (strcmp(name, "keystore") == 0) case_keystore(&fx);
  else if (strcmp(name, "closed") == 0) case_closed(&fx);
  else if (strcmp(name, "sqlite_first") == 0) case_sqlite_first(&fx);
  else {
    fprintf(stderr, "unknown case %s\n", name);
    return 2;
  }
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", work);
  free(fx.root.data);
  free(fx.trust_list.data);
  free(fx.credential.data);
  free(fx.foreign.data);
  free(fx.dk_priv.data);
  free(fx.dk_pub.data);
  if (g_failures) {
    fprintf(stderr, "%d check(s) failed in %s\n", g_failures, name);
    return 1;
  }
  printf("ok %s\n", name);
  return 0;
}
