// SPDX-License-Identifier: Apache-2.0
// Backend-neutral tests of crypto.hpp on fixed data: published vectors (FIPS 180-2, RFC 7515 Appendix A,
// RFC 7520 §4, RFC 7914 §12, the AES-256 cases of the GCM specification) and fixed keys and signatures,
// each positive test with negative twins. No crypto library is used here, so this one file checks the
// OpenSSL backend (in crypto_test, on Linux) and the CNG backend (under wine, on Windows) alike.

#include "crypto/crypto.hpp"

#include "core/base64url.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#endif

namespace {

namespace crypto = nativeauth::crypto;
using crypto::Bytes;
using crypto::JwkPublicKey;
using nativeauth::ErrorCode;
using nativeauth::Result;
using nativeauth::SecretString;

// ---------------------------------------------------------------------------------------------------------
// Data
//
// RFC 7515 Appendix A.2 (RS256), A.3 (ES256) and A.4 (ES512); RFC 7520 §4.1 (RS256), §4.2 (PS384) and §4.3
// (ES512) with the keys of its Figures 3 and 4. The algs no RFC gives an example of (RS384, RS512, PS256,
// PS512, ES384), PSS signatures with other salt lengths, a 1024-bit RSA key and a second key per curve were
// made once with pyca/cryptography 48 (OpenSSL 3 underneath) over kFixedInput, and are kept as data.

// clang-format off
constexpr const char *kFixedInput =
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJuYXRpdmVhdXRoIn0";
constexpr const char *kRsaN =
    "rraIFJuW6y41rPCWfeUPHM_yzSpKuJanYBGys89F6XzKkMVuOPrNF7gp1Cn6SZy9sCHKSZTHa3hhBKQbVYVwabmY-EtRE_xChgGm"
    "KzaDlwlfir5VCmvTvTXL-ak8l9moO_H2rfTv1Ns1Qp_y94iP6vWcdojjx2w9W0gzOp5hu_MlPY_2WxAxCfNEXLT6xvkvbDhTXdYt"
    "EXs9Cko4QVVD1L90EWie_6UMlt2QYYJTIMQ-UNfJ2tySpDlN6BEQLfqV1TrAiQAqU3KHUmGZ6xJ-PWKBisons4Jceoaa-39h5kpf"
    "o2PNt0rIiF53LPdDp2UDs2rw0n85qPWz5hxVxUBiNQ";
constexpr const char *kRs384 =
    "DX5rcBeYEE1VEepwrMo2fpNIRNASlB3X2Ft_uLJeLFuDmAq1zjqjrL8_6hbceFxrRD8E_nImd4eLHtBqfCtKN9MHk7iTTJo9rtLd"
    "0xreStqg6XMPRRhMpfuESdsbsTWpo-vn0cmNcw2m6qBXG6lLlmzadk-WnRzKpIKRl4aqszok3aSmHhsKSyCq2dMn8CdB1j17T7ZQ"
    "IxRDPu7e5yNxOKRyuwF_FaByiMDztXR62Q_Jg_Diy5WEURd8H_FCOtteY48grVH-RnGY6W9b8RYyp3qXJpuxXg62x6SIS0BVimae"
    "14adLf0P5Fx3FO1Yov7QDgYk-9TpTjm1xf8_K-4CBw";
constexpr const char *kRs512 =
    "PrjaargYbBIm4DNtDSF_xwNxyXt0kOMy-artMMkRHIMlQdXWOHXLtMLFOV2IuvEBfX6AzIgJLIawGUmbZFvMbUe_bFtD-8aX3Kjj"
    "Ygf0S87oAFOX8r390WfcwlQxjdzRrUtgbiqPGePTsQhJJe-Z_1NDqu-fX_qPLu5imfed2HhWBz0sLDWiuvIwmShDUa_rYRqFwYql"
    "Syjy6zQOc1xmmVierOh5weGN2FNEuQchrVNMRGjsDtubygeF0cs0UgvvIwY-0HgGHuJCQO2NGxqFAzjUqoRgBH8T6GUGbnUgFINP"
    "g1mt_klljo9jA-L1q8JIuRLsfUBzmI1v_9UkW3HKLQ";
constexpr const char *kPs256 =
    "B-Jg_IA_XggS5lpTbt4VaD47digl3KtH90_wXO1ZqLPvrSM-ju0QB8_n7-ckGVRtAObTt9aAft193HCmbuiT5rWIeS9lMeY2F_6W"
    "c9gX6iU7KORhQ8-0811Vht53DZoJuFRar1n8rkh4L1-CvZQztQeWT54W9AGGAnsBVDuehMTi2neR57TCEHXte0JlC-w2Vnw5jl-_"
    "YXWrV0ro_6_zI91HNvs8kFwTkKJD0YELxg_acsqmiiHKZYkEbKJ6ddu6THyQlhdENXmuk06TdwLC3zUeMdkygxcWQArjUmoiq8bx"
    "SVutJSOsdb8WKyvjk_-_vHilujRucFNfjR2yWrQMfw";
constexpr const char *kPs512 =
    "nBjtkjBfbow1wYIld669DADk-mvPbpyPOhS9Q9P1M9m9a3zBuQkGv6Por8fx31Ph5PqVmFooumDWS7nqrfz20AMpab3-gdCnY-kr"
    "pOgl5auDI9z7UAw2THNcWKH494_9ZJtmBpC3caDDP2XMRuvJ7ixhz85xJLwYliFjZkO1_u2bZrgfe-YiGUiA1hhO48DwHc_xwzcz"
    "9fpNZf6xy0ZXNa-Ck5bYIxGKFCK0MRMagZy4EQYaRsZA0vh0fy1b37e4_xFeqQXN_sAoITndcCKZKWr4bN349Yx5zvPqzQRwvy3Z"
    "LKwPqk_3vlFxyyZqse99e5x-L-aGQG4K2GpeQnOKDg";
constexpr const char *kPs256Salt0 =
    "Vo5N7TsERjKRUkNwC8MiOHRwEKgVdP5F8PeKQggV4VTX-wHFzzWGZiKsViYbASie7DH7hxtJdb0e1J9Nk5RPi2L4SAO4hlwnPHN3"
    "wl-Os2KVBXVKtF0yvdV_BtwS_1rcIs7C49bU3aiNQaxPnzyIgmdds52Ri82UnuwvBIgcTZmlR1XZ35vfZtRvrB2ETpe36gjojLja"
    "eXoO-PsiaELWGwQ86CVl5jobiMtu5o9t85KMy_wz59lot9r16rZskrCQIgQdrxtgOnr0RuEofwN2EZsrOfpPs3EKOTF5ttzMjPGn"
    "E6oFdKAhWU-mzEg0_Uo8xn4KjOM_D1MN01jRAZeEew";
constexpr const char *kPs256SaltMax =
    "megamMeLGBa-Rl1EdVEJwz7n8RMNqGmYTtD4m5BfILQg_Uf4qLFY4a5iuVIwM7xUXmQkyecR3CNmapHyO0p235-ca2PHzB0H0KGf"
    "foWo8u9LgOjVvDdNh9J2SHgvvb41zK5CyozmHrjTS-SvAPCQ_qxlFzQd5m_735LZlhllblNKJ2Ru4w61k927IFa2T3tilqA51bzk"
    "NRbjU6gVVneZ0ehoAch4KpxLJz1F4FwKvUWge2SaoaJZAYuwq7-PYYSVfNJIbQQFmY2t4ReMnw8WLbeYk5g_i21FiI4aVHXgvekR"
    "1gWb2_NVx8lwvRWlAbBM-cUkUC_0JmRuphyoqdo1PA";
constexpr const char *kRs256 =
    "MtfB9RiXNR4P8KYYijF8ESHTtk20VtJdZ5XwiC1NJMcmAtPHqn2XY4oMnjdRvFpNcX4sSryotKn5YxHhHRL94N2SU3sqT8zxl9sT"
    "K2ZcDhlBfF5sR9OLUt5SeSSveVHZBoWId37vEPPBhk2lwHAP81JJNGVy52Uj4JVeGWvkk6UuCChVYaaykVWyCeQU47YBzYYd9x_V"
    "HoFrDRcKMaFm3BvMw7zBsFOPw5Wvnc4plA4Nperiq-i-D5HGyauh_VVG9dlmDurW9rBsfQVjMVkPctw4MlgpMHSxYGlNxQBQHjfM"
    "L85Lj1Y3T-HQGG-0TozBH8nPYuiLA-NawzoXjG1F7w";
constexpr const char *kRsa1024N =
    "qorKiFkBuHkfdaDhTo-e143zWu7qHufC5JmjI51i_fhBllV9UV6flG_HfUD2pffX3ecWbA6MMTzpGolJNHyjqPz0ikcj5wHXZf63"
    "pLW2-X-KE_m4g50jjiF0aHi1ng46ik-lAyE7its_nMe86EA6G60xbXkbcOjw3fko4b0sDek";
constexpr const char *kRsa1024Rs256 =
    "CMjID_VFZJlUBXDWg6bqFYp4R8Merdziqa4J3wZY402DRvTAYYxer-h6SXM4C21D2uqlXQXTZ9B_AflmjntGrt0rH1mgLBVlHDhr"
    "KjnVox3xO_9JCR4OeChO0JUyL0DvbyGC5BQWSNyC-pWjuWZ2VLd0ySDb20C07iJom6-umF0";
constexpr const char *kP384X =
    "5MfE_1RnHgIrdKVbJzjsLSmumZKHe949Ai7zfnMkXZaN8ZxZTyAhKTNL96n6JQKL";
constexpr const char *kP384Y =
    "1VLotZdR4rKb9FEnbUS6ZTuq7FPPNwaTJGbkj7EokkhCc4VCXfUHtE3NnEl-1cRN";
constexpr const char *kEs384 =
    "P40HPR6KcyzWFStR5UfCS8df7nDNAIYGp9kxpSCqNpmr5S3ROUi1eQLDSbprVNddR95BhiRQ1B8RZBVlsVf40-6ISOabJocXSFUb"
    "Bc4jryD1ktK6X4X3plFgoe3xTTcq";
constexpr const char *kP256X =
    "EQGYI1rDV5Y9D_Ps5WKeRQjm0sjA_jW_6bltBtHFm_M";
constexpr const char *kP256Y =
    "68Csqjvt-1JpWnwrtrX1d1jTKg_lqxQCJPmKiWNRHXQ";
constexpr const char *kEs256 =
    "_ZLn6Lva_VnJfS-X71FZr1lHyIzbKy2Ji2xUYo7bC3NP3P2Y5yVgHJHi8_Ws4vuwx7MMJgAAijcMR8Ch2gM6VQ";
constexpr const char *kP384OtherX =
    "8YpCALAusNBdscZogYWqhRbNtDgu11h_fnW2gQbWJZpU5nHPYAFu-hQjGNXKhGWE";
constexpr const char *kP384OtherY =
    "XsuBZ-J5yWi4e71jzf6LqzaV0Ghc_9KoD-LcNEMoEC57tdnx1wVXk0UNlZP6exjB";
constexpr const char *kBilboN =
    "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRB"
    "SFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD"
    "1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_"
    "qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw";
constexpr const char *kRfc7520Payload =
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUg"
    "cm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0"
    "IGJlIHN3ZXB0IG9mZiB0by4";
constexpr const char *kRfc7520Rs256 =
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi8"
    "4wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocS"
    "adnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJu"
    "shZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
constexpr const char *kRfc7520Ps384 =
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItl"
    "lVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0"
    "TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0"
    "uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
constexpr const char *kRfc7520Es512 =
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_"
    "sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";
constexpr const char *kBilboX =
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt";
constexpr const char *kBilboY =
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1";
constexpr const char *kA4X =
    "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk";
constexpr const char *kA4Y =
    "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2";
constexpr const char *kA4Signature =
    "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCA"
    "PZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
// clang-format on

// The payload RFC 7515 A.2 and A.3 sign: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
constexpr const char *kRfc7515Payload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr const char *kRfc7515A2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL"
    "-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e"
    "-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9"
    "_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr const char *kRfc7515A2Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9C"
    "UAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_"
    "dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0i"
    "gcN_IoypGlUPQGe77Rw";
constexpr const char *kRfc7515A3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char *kRfc7515A3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr const char *kRfc7515A3D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";  // the private part, A.3.1
constexpr const char *kRfc7515A3Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// ---------------------------------------------------------------------------------------------------------
// Helpers

Bytes b64(std::string_view s) {
  std::optional<std::string> decoded = nativeauth::core::base64url_decode(s);
  if (!decoded) ADD_FAILURE() << "bad base64url in the test data";
  return decoded ? Bytes(decoded->begin(), decoded->end()) : Bytes();
}

Bytes unhex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}
std::string unhex_string(std::string_view hex) {
  const Bytes b = unhex(hex);
  return std::string(b.begin(), b.end());
}
template <typename Container>
std::string to_hex(const Container &bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  }
  return out;
}

JwkPublicKey rsa(const char *n) {
  JwkPublicKey key;
  key.kty = "RSA";
  key.n = b64(n);
  key.e = b64("AQAB");
  return key;
}
JwkPublicKey ec(const char *crv, const char *x, const char *y) {
  JwkPublicKey key;
  key.kty = "EC";
  key.crv = crv;
  key.x = b64(x);
  key.y = b64(y);
  return key;
}

JwkPublicKey rfc7515_a2_key() { return rsa(kRfc7515A2N); }
JwkPublicKey rfc7515_a3_key() { return ec("P-256", kRfc7515A3X, kRfc7515A3Y); }
JwkPublicKey rfc7515_a4_key() { return ec("P-521", kA4X, kA4Y); }
JwkPublicKey bilbo_rsa_key() { return rsa(kBilboN); }                  // RFC 7520 Figure 4
JwkPublicKey bilbo_ec_key() { return ec("P-521", kBilboX, kBilboY); }  // RFC 7520 Figure 3
JwkPublicKey fixed_rsa_key() { return rsa(kRsaN); }
JwkPublicKey fixed_rsa1024_key() { return rsa(kRsa1024N); }
JwkPublicKey fixed_p256_key() { return ec("P-256", kP256X, kP256Y); }
JwkPublicKey fixed_p384_key() { return ec("P-384", kP384X, kP384Y); }
JwkPublicKey fixed_p384_other() { return ec("P-384", kP384OtherX, kP384OtherY); }

::testing::AssertionResult Succeeds(const Result<void> &r) {
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "failed with error " << static_cast<int>(r.error().code) << ": "
                                       << r.error().message;
}
::testing::AssertionResult FailsWith(const Result<void> &r, ErrorCode want) {
  if (r) return ::testing::AssertionFailure() << "succeeded; expected error " << static_cast<int>(want);
  if (r.error().code != want) {
    return ::testing::AssertionFailure() << "error " << static_cast<int>(r.error().code) << " (" << r.error().message
                                         << "); expected " << static_cast<int>(want);
  }
  if (r.error().message.empty()) return ::testing::AssertionFailure() << "error without a message";
  return ::testing::AssertionSuccess();
}

/// True when this is a Windows build running under wine (ntdll exports wine_get_version only there).
bool under_wine() {
#if defined(_WIN32)
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
#else
  return false;
#endif
}

// What wine 8 (Debian 12) cannot show. Each test that needs it skips under wine only, saying why; on Windows and
// with OpenSSL it runs.
constexpr const char *kWineHasNoP521 =
    "wine 8's bcrypt has no ECDSA P-521: BCryptOpenAlgorithmProvider(ECDSA_P521) answers STATUS_NOT_IMPLEMENTED";
constexpr const char *kWineAcceptsOffCurvePoints =
    "wine 8's bcrypt does not validate an ECC public key on import (a point off the curve is accepted, and the "
    "signature then fails to verify: id_token_signature instead of id_token_malformed)";
bool wine_lacks(std::string_view alg) { return alg == "ES512" && under_wine(); }

/// RFC 7518 §3.4's R || S as the DER ECDSA-Sig-Value (RFC 3279 §2.2.3) a careless provider might send.
Bytes jose_to_der(const Bytes &rs) {
  auto integer = [](Bytes v) {
    v.erase(v.begin(), std::find_if(v.begin(), v.end() - 1, [](std::uint8_t b) { return b != 0; }));
    if (v[0] & 0x80) v.insert(v.begin(), 0);
    v.insert(v.begin(), static_cast<std::uint8_t>(v.size()));
    v.insert(v.begin(), 0x02);
    return v;
  };
  const std::size_t half = rs.size() / 2;
  Bytes body = integer(Bytes(rs.begin(), rs.begin() + half));
  const Bytes s = integer(Bytes(rs.begin() + half, rs.end()));
  body.insert(body.end(), s.begin(), s.end());
  Bytes der = {0x30};
  if (body.size() >= 0x80) der.push_back(0x81);
  der.push_back(static_cast<std::uint8_t>(body.size()));
  der.insert(der.end(), body.begin(), body.end());
  return der;
}

// ---------------------------------------------------------------------------------------------------------
// random_bytes, sha256 (comparing and wiping secrets: util_test.cpp)

TEST(RandomBytes, ReturnsTheRequestedLength) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{32}, std::size_t{1000}}) {
    Result<Bytes> r = crypto::random_bytes(n);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->size(), n);
  }
}

TEST(RandomBytes, TwoCallsDiffer) {
  Result<Bytes> a = crypto::random_bytes(32);
  Result<Bytes> b = crypto::random_bytes(32);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(*a, *b);  // a false failure has probability 2^-256
  EXPECT_NE(*a, Bytes(32, 0));
}

/// sha256() as hex; a failure fails the test and reads as no digest.
std::string sha_hex(std::string_view message) {
  Result<std::array<std::uint8_t, 32>> digest = crypto::sha256(message);
  EXPECT_TRUE(digest.has_value()) << digest.error().to_string();
  return digest ? to_hex(*digest) : std::string("(no digest)");
}

// FIPS 180-2 Appendix B.1 and B.2, and the empty message.
TEST(Sha256, MatchesPublishedVectors) {
  EXPECT_EQ(sha_hex(("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha_hex(("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha_hex(("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, DiffersForADifferentMessage) {
  EXPECT_NE(sha_hex(("abd")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---------------------------------------------------------------------------------------------------------
// verify_signature: one fixed signature per alg, each with negative twins

struct KnownSignature {
  const char *name;  ///< test name: alg and source
  const char *alg;
  JwkPublicKey (*key)();
  JwkPublicKey (*other)();  ///< a different key of the same type and curve
  std::string (*input)();
  const char *signature;
};

std::string fixed_input() { return kFixedInput; }
std::string rfc7515_rs256_input() { return std::string("eyJhbGciOiJSUzI1NiJ9.") + kRfc7515Payload; }
std::string rfc7515_es256_input() { return std::string("eyJhbGciOiJFUzI1NiJ9.") + kRfc7515Payload; }
std::string rfc7515_es512_input() { return "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"; }  // A.4: the payload "Payload"
std::string rfc7520_input(const char *header) { return std::string(header) + "." + kRfc7520Payload; }
std::string rfc7520_rs256_input() {
  return rfc7520_input("eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9");
}
std::string rfc7520_ps384_input() {
  return rfc7520_input("eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9");
}
std::string rfc7520_es512_input() {
  return rfc7520_input("eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9");
}

void PrintTo(const KnownSignature &c, std::ostream *os) { *os << c.name; }

const KnownSignature kKnownSignatures[] = {
    {"RS256_Rfc7515A2", "RS256", rfc7515_a2_key, bilbo_rsa_key, rfc7515_rs256_input, kRfc7515A2Signature},
    {"RS256_Rfc7520", "RS256", bilbo_rsa_key, fixed_rsa_key, rfc7520_rs256_input, kRfc7520Rs256},
    {"RS256_Fixed", "RS256", fixed_rsa_key, rfc7515_a2_key, fixed_input, kRs256},
    {"RS384_Fixed", "RS384", fixed_rsa_key, bilbo_rsa_key, fixed_input, kRs384},
    {"RS512_Fixed", "RS512", fixed_rsa_key, bilbo_rsa_key, fixed_input, kRs512},
    {"PS256_Fixed", "PS256", fixed_rsa_key, bilbo_rsa_key, fixed_input, kPs256},
    {"PS384_Rfc7520", "PS384", bilbo_rsa_key, fixed_rsa_key, rfc7520_ps384_input, kRfc7520Ps384},
    {"PS512_Fixed", "PS512", fixed_rsa_key, bilbo_rsa_key, fixed_input, kPs512},
    {"ES256_Rfc7515A3", "ES256", rfc7515_a3_key, fixed_p256_key, rfc7515_es256_input, kRfc7515A3Signature},
    {"ES256_Fixed", "ES256", fixed_p256_key, rfc7515_a3_key, fixed_input, kEs256},
    {"ES384_Fixed", "ES384", fixed_p384_key, fixed_p384_other, fixed_input, kEs384},
    {"ES512_Rfc7515A4", "ES512", rfc7515_a4_key, bilbo_ec_key, rfc7515_es512_input, kA4Signature},
    {"ES512_Rfc7520", "ES512", bilbo_ec_key, rfc7515_a4_key, rfc7520_es512_input, kRfc7520Es512},
};

class KnownSignatureTest : public ::testing::TestWithParam<KnownSignature> {};

TEST_P(KnownSignatureTest, Verifies) {
  const KnownSignature &c = GetParam();
  if (wine_lacks(c.alg)) GTEST_SKIP() << kWineHasNoP521;
  EXPECT_TRUE(Succeeds(crypto::verify_signature(c.alg, c.key(), c.input(), b64(c.signature))));
}

TEST_P(KnownSignatureTest, FlippedBitInSignatureFails) {
  const KnownSignature &c = GetParam();
  if (wine_lacks(c.alg)) GTEST_SKIP() << kWineHasNoP521;
  const Bytes good = b64(c.signature);
  for (std::size_t at : {std::size_t{0}, good.size() / 2, good.size() - 1}) {
    Bytes bad = good;
    bad[at] ^= 0x01;
    EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.key(), c.input(), bad), ErrorCode::id_token_signature))
        << "bit flipped in byte " << at;
  }
}

TEST_P(KnownSignatureTest, ModifiedSigningInputFails) {
  const KnownSignature &c = GetParam();
  if (wine_lacks(c.alg)) GTEST_SKIP() << kWineHasNoP521;
  std::string changed = c.input();
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.key(), changed, b64(c.signature)),
                        ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.key(), c.input() + "x", b64(c.signature)),
                        ErrorCode::id_token_signature));
}

TEST_P(KnownSignatureTest, SignatureUnderAnotherKeyFails) {
  const KnownSignature &c = GetParam();
  if (wine_lacks(c.alg)) GTEST_SKIP() << kWineHasNoP521;
  EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.other(), c.input(), b64(c.signature)),
                        ErrorCode::id_token_signature));
}

TEST_P(KnownSignatureTest, TruncatedSignatureFails) {
  const KnownSignature &c = GetParam();
  if (wine_lacks(c.alg)) GTEST_SKIP() << kWineHasNoP521;
  Bytes sig = b64(c.signature);
  sig.pop_back();
  EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.key(), c.input(), sig), ErrorCode::id_token_signature));
  sig.clear();
  EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.key(), c.input(), sig), ErrorCode::id_token_signature));
}

INSTANTIATE_TEST_SUITE_P(AllAlgs, KnownSignatureTest, ::testing::ValuesIn(kKnownSignatures),
                         [](const ::testing::TestParamInfo<KnownSignature> &param_info) {
                           return std::string(param_info.param.name);
                         });

// A signature is only good for the exact alg it was made with: padding and hash are both bound.
TEST(FixedVectors, SignatureOfOneRsaAlgFailsUnderAnother) {
  const JwkPublicKey key = fixed_rsa_key();
  const std::string in = kFixedInput;
  EXPECT_TRUE(FailsWith(crypto::verify_signature("PS256", key, in, b64(kRs256)), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", key, in, b64(kPs256)), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS384", key, in, b64(kRs256)), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("PS512", key, in, b64(kPs256)), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("PS256", rfc7515_a2_key(), rfc7515_rs256_input(),
                                                 b64(kRfc7515A2Signature)),
                        ErrorCode::id_token_signature));
}

// RFC 7518 §3.5: the PSS salt is exactly as long as the hash. Signatures with no salt and with the longest
// salt are refused; their twin with a 32-byte salt verifies (the KnownSignature PS256_Fixed case).
TEST(FixedVectors, PssSaltMustBeTheDigestLength) {
  const JwkPublicKey key = fixed_rsa_key();
  EXPECT_TRUE(Succeeds(crypto::verify_signature("PS256", key, kFixedInput, b64(kPs256))));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("PS256", key, kFixedInput, b64(kPs256SaltMax)),
                        ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("PS256", key, kFixedInput, b64(kPs256Salt0)),
                        ErrorCode::id_token_signature));
}

// ---------------------------------------------------------------------------------------------------------
// verify_signature: algorithms and keys that must be refused

TEST(FixedVectors, AlgThatDoesNotFitTheKeyIsRefused) {
  const std::string rs_in = rfc7515_rs256_input(), es_in = rfc7515_es256_input();
  const Bytes rs = b64(kRfc7515A2Signature), es = b64(kRfc7515A3Signature);
  auto v = [](const char *alg, const JwkPublicKey &key, const std::string &in, const Bytes &sig) {
    return crypto::verify_signature(alg, key, in, sig);
  };
  EXPECT_TRUE(FailsWith(v("RS256", rfc7515_a3_key(), rs_in, rs), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(v("PS256", rfc7515_a3_key(), rs_in, rs), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(v("ES256", rfc7515_a2_key(), es_in, es), ErrorCode::id_token_algorithm));
  // RFC 7518 §3.4 ties each ES alg to one curve.
  EXPECT_TRUE(FailsWith(v("ES256", fixed_p384_key(), es_in, es), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(v("ES384", rfc7515_a3_key(), es_in, es), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(v("ES512", fixed_p384_key(), es_in, es), ErrorCode::id_token_algorithm));

  JwkPublicKey odd_kty = rfc7515_a2_key();
  odd_kty.kty = "oct";
  EXPECT_TRUE(FailsWith(v("RS256", odd_kty, rs_in, rs), ErrorCode::id_token_algorithm));
  odd_kty.kty = "rsa";  // kty is case-sensitive (RFC 7517 §4.1)
  EXPECT_TRUE(FailsWith(v("RS256", odd_kty, rs_in, rs), ErrorCode::id_token_algorithm));
  JwkPublicKey k1 = rfc7515_a3_key();
  k1.crv = "secp256k1";
  EXPECT_TRUE(FailsWith(v("ES256", k1, es_in, es), ErrorCode::id_token_algorithm));
}

TEST(FixedVectors, UnsupportedAlgIsRefused) {
  const std::string in = rfc7515_rs256_input();
  const Bytes sig = b64(kRfc7515A2Signature);
  for (std::string_view alg : {std::string_view("HS256"), std::string_view("HS384"), std::string_view("HS512"),
                               std::string_view("none"), std::string_view("None"), std::string_view(""),
                               std::string_view("rs256"), std::string_view("RS256 "), std::string_view("RS1"),
                               std::string_view("ES256K"), std::string_view("EdDSA"), std::string_view("RS256\0", 6)}) {
    EXPECT_TRUE(FailsWith(crypto::verify_signature(alg, rfc7515_a2_key(), in, sig), ErrorCode::id_token_algorithm))
        << "alg of size " << alg.size();
  }
  // An HMAC tag (32 bytes) presented as an RS256 signature is no RSA signature.
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", rfc7515_a2_key(), in, Bytes(32, 0x5a)),
                        ErrorCode::id_token_signature));
}

TEST(FixedVectors, UnsupportedAlgMessageQuotesOnlyAShortPrintablePrefix) {
  const std::string hostile = "HS256\n\x01" + std::string(200, 'A');
  Result<void> r = crypto::verify_signature(hostile, rfc7515_a2_key(), rfc7515_rs256_input(), b64(kRfc7515A2Signature));
  ASSERT_TRUE(FailsWith(r, ErrorCode::id_token_algorithm));
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(r.error().message.find(std::string(50, 'A')), std::string::npos);
}

TEST(FixedVectors, UnsignedTokenIsRefused) {
  const std::string none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhdHRhY2tlciJ9";
  EXPECT_TRUE(FailsWith(crypto::verify_signature("none", rfc7515_a2_key(), none, {}), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", rfc7515_a2_key(), none, {}), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", rfc7515_a3_key(), none, {}), ErrorCode::id_token_signature));
}

// RFC 7518 §3.3: RSA keys of at least 2048 bits. The 1024-bit key's own valid signature is refused.
TEST(FixedVectors, RsaKeyUnder2048BitsIsRefused) {
  const Bytes sig = b64(kRsa1024Rs256);
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", fixed_rsa1024_key(), kFixedInput, sig),
                        ErrorCode::id_token_algorithm));
  JwkPublicKey padded = fixed_rsa1024_key();  // zero bytes in front of the modulus do not make it bigger
  padded.n.insert(padded.n.begin(), 128, 0);
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", padded, kFixedInput, sig), ErrorCode::id_token_algorithm));
}

// Twin of the above: some providers prefix n with a zero byte (against RFC 7518 §6.3.1.1); the key is sound.
TEST(FixedVectors, RsaModulusWithLeadingZeroStillVerifies) {
  JwkPublicKey padded = rfc7515_a2_key();
  padded.n.insert(padded.n.begin(), 0);
  EXPECT_TRUE(Succeeds(crypto::verify_signature("RS256", padded, rfc7515_rs256_input(), b64(kRfc7515A2Signature))));
}

TEST(FixedVectors, InvalidRsaKeyMaterialIsMalformed) {
  const std::string in = rfc7515_rs256_input();
  const Bytes sig = b64(kRfc7515A2Signature);
  const JwkPublicKey good = rfc7515_a2_key();
  std::vector<JwkPublicKey> bad(5, good);
  bad[0].n.clear();
  bad[1].e.clear();
  bad[2].e = {0x01};              // e = 1 turns "verification" into comparing against the padded message
  bad[3].e = {0x01, 0x00, 0x00};  // even
  bad[4].n.back() &= 0xFE;        // an even modulus is no RSA modulus
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", bad[i], in, sig), ErrorCode::id_token_malformed)) << i;
  }
}

TEST(FixedVectors, RsaSignatureLongerThanTheModulusFails) {
  Bytes sig = b64(kRfc7515A2Signature);
  sig.insert(sig.begin(), 0);
  EXPECT_TRUE(FailsWith(crypto::verify_signature("RS256", rfc7515_a2_key(), rfc7515_rs256_input(), sig),
                        ErrorCode::id_token_signature));
}

// ---------------------------------------------------------------------------------------------------------
// verify_signature: ECDSA encodings and points

// RFC 7518 §3.4: R||S is exactly twice the coordinate length (64 bytes for ES256, 132 for ES512).
TEST(FixedVectors, EcdsaSignatureOfWrongLengthFails) {
  const Bytes good = b64(kRfc7515A3Signature);
  ASSERT_EQ(good.size(), 64U);
  for (std::size_t len :
       {std::size_t{0}, std::size_t{32}, std::size_t{63}, std::size_t{65}, std::size_t{96}, std::size_t{128}}) {
    Bytes bad = good;
    bad.resize(len, 0);
    EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", rfc7515_a3_key(), rfc7515_es256_input(), bad),
                          ErrorCode::id_token_signature))
        << len;
  }
}

TEST(FixedVectors, Es512SignatureOfWrongLengthFails) {
  if (wine_lacks("ES512")) GTEST_SKIP() << kWineHasNoP521;
  Bytes es512 = b64(kA4Signature);
  ASSERT_EQ(es512.size(), 132U);
  es512.erase(es512.begin(), es512.begin() + 2);  // 2 x 65: P-521 is 66 bytes
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES512", rfc7515_a4_key(), rfc7515_es512_input(), es512),
                        ErrorCode::id_token_signature));
}

// What a provider that forgot the RFC 7518 §3.4 conversion sends: a valid signature, but in DER. Refused,
// since accepting two encodings of one signature invites malleability bugs; the JOSE twin verifies.
TEST(FixedVectors, DerEncodedEcdsaSignatureIsRefused) {
  struct Case {
    const char *alg;
    JwkPublicKey key;
    std::string input;
    Bytes jose;
  };
  const Case cases[] = {
      {"ES256", rfc7515_a3_key(), rfc7515_es256_input(), b64(kRfc7515A3Signature)},
      {"ES384", fixed_p384_key(), kFixedInput, b64(kEs384)},
      {"ES512", rfc7515_a4_key(), rfc7515_es512_input(), b64(kA4Signature)},
  };
  for (const Case &c : cases) {
    if (wine_lacks(c.alg)) continue;  // kWineHasNoP521: the ES256 and ES384 cases still run
    const Bytes der = jose_to_der(c.jose);
    ASSERT_EQ(der.at(0), 0x30) << "not a DER SEQUENCE";
    EXPECT_TRUE(FailsWith(crypto::verify_signature(c.alg, c.key, c.input, der), ErrorCode::id_token_signature))
        << c.alg;
    EXPECT_TRUE(Succeeds(crypto::verify_signature(c.alg, c.key, c.input, c.jose))) << c.alg;
  }
}

TEST(FixedVectors, ZeroEcdsaSignatureFails) {
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", rfc7515_a3_key(), rfc7515_es256_input(), Bytes(64, 0)),
                        ErrorCode::id_token_signature));
}

// A point off the curve is refused as invalid key material (id_token_malformed), before any ECDSA arithmetic
// runs on it (invalid-curve attacks). The point (0, 0) is refused even by wine.
TEST(FixedVectors, EcPointAtZeroIsMalformed) {
  JwkPublicKey zero = rfc7515_a3_key();
  std::fill(zero.x.begin(), zero.x.end(), 0);
  std::fill(zero.y.begin(), zero.y.end(), 0);
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", zero, rfc7515_es256_input(), b64(kRfc7515A3Signature)),
                        ErrorCode::id_token_malformed));
}

// A garbled coordinate puts the point off the curve.
TEST(FixedVectors, EcPointNotOnTheCurveIsMalformed) {
  JwkPublicKey k256 = rfc7515_a3_key();
  k256.y.back() ^= 0x01;
  JwkPublicKey k384 = fixed_p384_key();
  k384.x[7] ^= 0x10;
  const Result<void> r256 = crypto::verify_signature("ES256", k256, rfc7515_es256_input(), b64(kRfc7515A3Signature));
  const Result<void> r384 = crypto::verify_signature("ES384", k384, kFixedInput, b64(kEs384));
  if (under_wine()) {
    EXPECT_FALSE(r256.has_value());  // still refused, only with another code
    EXPECT_FALSE(r384.has_value());
    GTEST_SKIP() << kWineAcceptsOffCurvePoints;
  }
  EXPECT_TRUE(FailsWith(r256, ErrorCode::id_token_malformed));
  EXPECT_TRUE(FailsWith(r384, ErrorCode::id_token_malformed));
  JwkPublicKey k521 = rfc7515_a4_key();
  k521.y[10] ^= 0x80;
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES512", k521, rfc7515_es512_input(), b64(kA4Signature)),
                        ErrorCode::id_token_malformed));
}

// RFC 7518 §6.2.1.2: x and y have the full coordinate length, leading zero bytes included; anything else is
// refused rather than guessed at.
TEST(FixedVectors, EcCoordinateOfWrongLengthIsMalformed) {
  const Bytes sig = b64(kRfc7515A3Signature);
  const std::string in = rfc7515_es256_input();
  JwkPublicKey k = rfc7515_a3_key();
  k.x.insert(k.x.begin(), 0);
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", k, in, sig), ErrorCode::id_token_malformed));
  k = rfc7515_a3_key();
  k.y.pop_back();
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", k, in, sig), ErrorCode::id_token_malformed));
  k = rfc7515_a3_key();
  k.x.clear();
  k.y.clear();
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", k, in, sig), ErrorCode::id_token_malformed));
  // RFC 7520's P-521 x has a leading zero byte: kept, it is 66 bytes and verifies (the ES512_Rfc7520 case);
  // without it, it is refused.
  JwkPublicKey bilbo = bilbo_ec_key();
  ASSERT_EQ(bilbo.x.at(0), 0);
  bilbo.x.erase(bilbo.x.begin());
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES512", bilbo, rfc7520_es512_input(), b64(kRfc7520Es512)),
                        ErrorCode::id_token_malformed));
}

// ---------------------------------------------------------------------------------------------------------
// AES-256-GCM: the AES-256 test cases 13-16 of McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)"
// (the vectors NIST's GCM validation also starts from).

struct GcmCase {
  const char *name, *key, *nonce, *aad, *plaintext, *ciphertext_and_tag;
};
const GcmCase kGcmCases[] = {
    {"13", "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"14", "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"},
    {"15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de6"
     "57ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a"
     "0abcc9f662898015adb094dac5d93471bdec1a502270e3cc6c"},
    {"16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de6"
     "57ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a"
     "0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(Gcm, SealMatchesTheSpecVectors) {
  for (const GcmCase &c : kGcmCases) {
    Result<std::string> sealed = crypto::aes_256_gcm_seal(SecretString(unhex_string(c.key)), unhex(c.nonce),
                                                          unhex_string(c.aad), unhex_string(c.plaintext));
    ASSERT_TRUE(sealed.has_value()) << c.name << ": " << sealed.error().message;
    EXPECT_EQ(to_hex(*sealed), c.ciphertext_and_tag) << "test case " << c.name;
  }
}

TEST(Gcm, OpenMatchesTheSpecVectors) {
  for (const GcmCase &c : kGcmCases) {
    Result<std::optional<SecretString>> opened = crypto::aes_256_gcm_open(SecretString(unhex_string(c.key)),
                                                                          unhex(c.nonce), unhex_string(c.aad),
                                                                          unhex_string(c.ciphertext_and_tag));
    ASSERT_TRUE(opened.has_value()) << c.name << ": " << opened.error().message;
    ASSERT_TRUE(opened->has_value()) << "test case " << c.name << " did not authenticate";
    EXPECT_EQ(to_hex((*opened)->reveal()), c.plaintext) << "test case " << c.name;
  }
}

// Twins of the above: any change to what is authenticated yields nullopt, never a plaintext.
TEST(Gcm, ATamperedSealDoesNotOpen) {
  const GcmCase &c = kGcmCases[3];  // with AAD and a partial last block
  const SecretString key(unhex_string(c.key));
  const Bytes nonce = unhex(c.nonce);
  const std::string aad = unhex_string(c.aad), sealed = unhex_string(c.ciphertext_and_tag);
  auto opens = [](const SecretString &k, const Bytes &n, const std::string &a, const std::string &s) {
    Result<std::optional<SecretString>> r = crypto::aes_256_gcm_open(k, n, a, s);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.has_value() && r->has_value();
  };
  ASSERT_TRUE(opens(key, nonce, aad, sealed));
  for (std::size_t at : {std::size_t{0}, std::size_t{59}, sealed.size() - 16, sealed.size() - 1}) {
    std::string bad = sealed;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_FALSE(opens(key, nonce, aad, bad)) << "byte " << at << " changed";
  }
  EXPECT_FALSE(opens(key, nonce, aad + "x", sealed));
  EXPECT_FALSE(opens(key, nonce, "", sealed));
  Bytes other_nonce = nonce;
  other_nonce[11] ^= 0x01;
  EXPECT_FALSE(opens(key, other_nonce, aad, sealed));
  std::string other_key = unhex_string(c.key);
  other_key[0] = static_cast<char>(other_key[0] ^ 0x01);
  EXPECT_FALSE(opens(SecretString(other_key), nonce, aad, sealed));
  EXPECT_FALSE(opens(key, nonce, aad, sealed.substr(0, sealed.size() - 1)));  // a cut tag
  EXPECT_FALSE(opens(key, nonce, aad, sealed.substr(0, 15)));                 // shorter than a tag
}

TEST(Gcm, WrongKeyOrNonceSizeIsAnError) {
  const SecretString key(std::string(32, 'k'));
  const Bytes nonce(12, 1);
  EXPECT_FALSE(crypto::aes_256_gcm_seal(SecretString(std::string(16, 'k')), nonce, "", "x").has_value());
  EXPECT_FALSE(crypto::aes_256_gcm_seal(key, Bytes(16, 1), "", "x").has_value());
  EXPECT_FALSE(
      crypto::aes_256_gcm_open(SecretString(std::string(31, 'k')), nonce, "", std::string(20, 'x')).has_value());
  EXPECT_FALSE(crypto::aes_256_gcm_open(key, Bytes(11, 1), "", std::string(20, 'x')).has_value());
  // The twin: the right sizes round-trip.
  Result<std::string> sealed = crypto::aes_256_gcm_seal(key, nonce, "aad", "plain");
  ASSERT_TRUE(sealed.has_value());
  Result<std::optional<SecretString>> opened = crypto::aes_256_gcm_open(key, nonce, "aad", *sealed);
  ASSERT_TRUE(opened.has_value() && opened->has_value());
  EXPECT_EQ((*opened)->reveal(), "plain");
}

// ---------------------------------------------------------------------------------------------------------
// EcSigningKey: ES256 signing (DPoP proofs, RFC 9449), checked by this file's verify_signature

JwkPublicKey public_of(const crypto::EcSigningKey &key) {
  JwkPublicKey jwk;
  jwk.kty = "EC";
  jwk.crv = "P-256";
  jwk.x = key.x();
  jwk.y = key.y();
  return jwk;
}

SecretString secret_of(const Bytes &b) { return SecretString(std::string(b.begin(), b.end())); }

/// A new key, or a test failure (and the RFC 7515 A.3 key, so that the test goes on and fails at its checks).
crypto::EcSigningKey generated_key() {
  Result<crypto::EcSigningKey> key = crypto::EcSigningKey::generate();
  if (key) return *key;
  ADD_FAILURE() << "EcSigningKey::generate() failed: " << key.error().message;
  return *crypto::EcSigningKey::import(secret_of(b64(kRfc7515A3D)), b64(kRfc7515A3X), b64(kRfc7515A3Y));
}

Bytes signature_of(const crypto::EcSigningKey &key, std::string_view input) {
  Result<Bytes> sig = key.sign(input);
  EXPECT_TRUE(sig.has_value()) << sig.error().message;
  return sig ? *sig : Bytes();
}

TEST(EcSigningKey, GeneratedKeySignsVerifiably) {
  const crypto::EcSigningKey key = generated_key();
  EXPECT_EQ(key.x().size(), 32u);
  EXPECT_EQ(key.y().size(), 32u);
  const Bytes sig = signature_of(key, kFixedInput);
  EXPECT_EQ(sig.size(), 64u);  // RFC 7518 §3.4: R ‖ S, not DER
  EXPECT_TRUE(Succeeds(crypto::verify_signature("ES256", public_of(key), kFixedInput, sig)));
  // The twins: another input, and another key's public part, refuse the same signature.
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", public_of(key), std::string(kFixedInput) + "x", sig),
                        ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", public_of(generated_key()), kFixedInput, sig),
                        ErrorCode::id_token_signature));
}

TEST(EcSigningKey, TwoSignaturesOfOneInputDifferAndBothVerify) {
  const crypto::EcSigningKey key = generated_key();
  const Bytes first = signature_of(key, kFixedInput);
  const Bytes second = signature_of(key, kFixedInput);
  EXPECT_NE(first, second);  // a fresh random k each time (RFC 6979's deterministic k would repeat)
  EXPECT_TRUE(Succeeds(crypto::verify_signature("ES256", public_of(key), kFixedInput, first)));
  EXPECT_TRUE(Succeeds(crypto::verify_signature("ES256", public_of(key), kFixedInput, second)));
}

TEST(EcSigningKey, TwoGeneratedKeysDiffer) {
  const crypto::EcSigningKey a = generated_key();
  const crypto::EcSigningKey b = generated_key();
  EXPECT_NE(a.x(), b.x());
  EXPECT_NE(a.private_scalar()->reveal(), b.private_scalar()->reveal());
}

TEST(EcSigningKey, ReimportedScalarSignsForTheSamePublicKey) {
  const crypto::EcSigningKey key = generated_key();
  Result<SecretString> d = key.private_scalar();
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->size(), 32u);
  Result<crypto::EcSigningKey> again = crypto::EcSigningKey::import(*d, key.x(), key.y());
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->x(), key.x());
  EXPECT_EQ(again->y(), key.y());
  EXPECT_EQ(again->private_scalar()->reveal(), d->reveal());
  EXPECT_TRUE(Succeeds(crypto::verify_signature("ES256", public_of(key), kFixedInput,
                                                signature_of(*again, kFixedInput))));
}

// RFC 7515 A.3.1's key pair: imported, it signs what its published public key verifies, and gives d back.
TEST(EcSigningKey, Rfc7515A3KeySignsVerifiably) {
  Result<crypto::EcSigningKey> key = crypto::EcSigningKey::import(secret_of(b64(kRfc7515A3D)), b64(kRfc7515A3X),
                                                                  b64(kRfc7515A3Y));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  const std::string input = rfc7515_es256_input();
  const Bytes sig = signature_of(*key, input);
  EXPECT_TRUE(Succeeds(crypto::verify_signature("ES256", rfc7515_a3_key(), input, sig)));
  EXPECT_TRUE(FailsWith(crypto::verify_signature("ES256", fixed_p256_key(), input, sig),
                        ErrorCode::id_token_signature));
  EXPECT_EQ(to_hex(key->private_scalar()->reveal()), to_hex(b64(kRfc7515A3D)));
}

TEST(EcSigningKey, ImportOfWrongLengthsIsRefused) {
  const Bytes d = b64(kRfc7515A3D);
  const Bytes x = b64(kRfc7515A3X);
  const Bytes y = b64(kRfc7515A3Y);
  const Bytes d31(d.begin() + 1, d.end());
  Bytes d33 = d;
  d33.insert(d33.begin(), 0);
  const Bytes x31(x.begin() + 1, x.end());
  for (const auto &[dd, xx, yy] : {std::make_tuple(d31, x, y), std::make_tuple(d33, x, y), std::make_tuple(d, x31, y),
                                   std::make_tuple(d, x, Bytes()), std::make_tuple(Bytes(), x, y)}) {
    Result<crypto::EcSigningKey> key = crypto::EcSigningKey::import(secret_of(dd), xx, yy);
    ASSERT_FALSE(key.has_value()) << dd.size() << "/" << xx.size() << "/" << yy.size();
    EXPECT_EQ(key.error().code, ErrorCode::key_unavailable);
  }
}

// d·G must be the point given: a record whose parts disagree would sign proofs no server accepts.
TEST(EcSigningKey, ImportOfAnotherKeysPointIsRefused) {
  Result<crypto::EcSigningKey> key = crypto::EcSigningKey::import(secret_of(b64(kRfc7515A3D)), b64(kP256X),
                                                                  b64(kP256Y));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::key_unavailable);
  EXPECT_FALSE(key.error().message.empty());
  // and the other way round: a generated key's point with the RFC's d
  const crypto::EcSigningKey other = generated_key();
  key = crypto::EcSigningKey::import(secret_of(b64(kRfc7515A3D)), other.x(), other.y());
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::key_unavailable);
}

TEST(EcSigningKey, ImportOfAPointOffTheCurveIsRefused) {
  Bytes y = b64(kRfc7515A3Y);
  y.back() ^= 0x01;
  Result<crypto::EcSigningKey> key = crypto::EcSigningKey::import(secret_of(b64(kRfc7515A3D)), b64(kRfc7515A3X), y);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::key_unavailable);
  key = crypto::EcSigningKey::import(secret_of(b64(kRfc7515A3D)), Bytes(32, 0), Bytes(32, 0));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::key_unavailable);
}

TEST(EcSigningKey, ImportOfAZeroScalarIsRefused) {
  const crypto::EcSigningKey other = generated_key();
  Result<crypto::EcSigningKey> key = crypto::EcSigningKey::import(secret_of(Bytes(32, 0)), other.x(), other.y());
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::key_unavailable);
}

TEST(EcSigningKey, CopiesShareOneKeyAndSignFromSeveralThreads) {
  const crypto::EcSigningKey key = generated_key();
  const crypto::EcSigningKey copy = key;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  std::vector<Bytes> sigs(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    threads.emplace_back([&, i] { sigs[i] = (i % 2 ? copy : key).sign(kFixedInput).value_or(Bytes()); });
  }
  for (std::thread &t : threads) t.join();
  for (const Bytes &sig : sigs) {
    EXPECT_TRUE(Succeeds(crypto::verify_signature("ES256", public_of(key), kFixedInput, sig)));
  }
}

// ---------------------------------------------------------------------------------------------------------
// scrypt: RFC 7914 §12, and the memory bound (kScryptMaxMemory: 128 r (N + p + 2) bytes at most, OpenSSL's rule)

std::string scrypt_hex(const std::string &pass, const std::string &salt, std::uint64_t n, std::uint32_t r,
                       std::uint32_t p, std::size_t length = 64) {
  Result<SecretString> key = crypto::scrypt(SecretString(pass), Bytes(salt.begin(), salt.end()), {n, r, p}, length);
  EXPECT_TRUE(key.has_value()) << key.error().message;
  return key ? to_hex(key->reveal()) : std::string("(no key)");
}

TEST(Scrypt, MatchesRfc7914Vectors) {
  EXPECT_EQ(
      scrypt_hex("", "", 16, 1, 1),
      "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d"
      "3628cf35e20c38d18906");
  EXPECT_EQ(
      scrypt_hex("password", "NaCl", 1024, 8, 16),
      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83"
      "ee6d8360cbdfa2cc0640");
  EXPECT_EQ(
      scrypt_hex("pleaseletmein", "SodiumChloride", 16384, 8, 1),
      "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d65"
      "1e40dfcf017b45575887");
}

TEST(Scrypt, EachInputChangesTheKey) {
  const std::string base = scrypt_hex("password", "NaCl", 16, 8, 2, 32);
  EXPECT_NE(scrypt_hex("passworD", "NaCl", 16, 8, 2, 32), base);
  EXPECT_NE(scrypt_hex("password", "NaCL", 16, 8, 2, 32), base);
  EXPECT_NE(scrypt_hex("password", "NaCl", 32, 8, 2, 32), base);
  EXPECT_NE(scrypt_hex("password", "NaCl", 16, 4, 2, 32), base);
  EXPECT_NE(scrypt_hex("password", "NaCl", 16, 8, 1, 32), base);
  EXPECT_EQ(scrypt_hex("password", "NaCl", 16, 8, 2, 32), base);
  EXPECT_EQ(scrypt_hex("password", "NaCl", 16, 8, 2, 16), base.substr(0, 32));  // PBKDF2's prefix property
}

TEST(Scrypt, ParametersOverTheMemoryBoundAreRefused) {
  const SecretString pass(std::string("pleaseletmein"));
  const Bytes salt = {'S', 'o', 'd', 'i', 'u', 'm'};
  // RFC 7914's fourth vector (N = 2^20, r = 8: 1 GiB) is refused, as is N = 2^16, r = 8 (64 MiB + 2 KiB).
  for (const crypto::ScryptParameters &p :
       {crypto::ScryptParameters{1u << 20, 8, 1}, crypto::ScryptParameters{1u << 16, 8, 1},
        crypto::ScryptParameters{16, 1u << 20, 1u << 10}}) {
    Result<SecretString> r = crypto::scrypt(pass, salt, p, 32);
    ASSERT_FALSE(r.has_value()) << "N=" << p.n << " r=" << p.r << " p=" << p.p;
    EXPECT_EQ(r.error().code, ErrorCode::internal);
  }
  // The twin: N = 2^15, r = 8 (32 MiB, the encrypted store's default) is within the bound.
  EXPECT_TRUE(crypto::scrypt(pass, salt, {1u << 15, 8, 1}, 32).has_value());
}

TEST(Scrypt, MalformedParametersAreRefused) {
  const SecretString pass(std::string("p"));
  for (const crypto::ScryptParameters &p :
       {crypto::ScryptParameters{0, 8, 1}, crypto::ScryptParameters{1, 8, 1}, crypto::ScryptParameters{24, 8, 1},
        crypto::ScryptParameters{16, 0, 1}, crypto::ScryptParameters{16, 8, 0}}) {
    Result<SecretString> r = crypto::scrypt(pass, {}, p, 32);
    EXPECT_FALSE(r.has_value()) << "N=" << p.n << " r=" << p.r << " p=" << p.p;
  }
}

}  // namespace
