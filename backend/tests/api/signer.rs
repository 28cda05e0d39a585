//! The signer's signatures verify with an independent implementation: the `openssl` CLI.

use std::process::Command;

use desk_backend::kalshi::signer::{signing_text, Signer};

fn openssl(args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn signatures_verify_with_openssl_for_pkcs8_and_pkcs1_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &d("pkcs8.pem"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &d("pkcs8.pem"),
        "-traditional",
        "-out",
        &d("pkcs1.pem"),
    ]);
    openssl(&[
        "pkey",
        "-in",
        &d("pkcs8.pem"),
        "-pubout",
        "-out",
        &d("pub.pem"),
    ]);
    assert!(std::fs::read_to_string(d("pkcs1.pem"))
        .unwrap()
        .contains("BEGIN RSA PRIVATE KEY"));
    for key in ["pkcs8.pem", "pkcs1.pem"] {
        let signer =
            Signer::from_pem_file("test-key", std::path::Path::new(&d(key))).expect("key loads");
        assert!(
            !format!("{signer:?}").contains("BEGIN"),
            "Debug is redacted"
        );
        let ts = 1_763_900_000_123;
        let headers = signer
            .sign_at(ts, "POST", "/trade-api/v2/portfolio/events/orders?x=1")
            .unwrap();
        assert_eq!(headers.timestamp_ms, ts.to_string());
        let sig = base64_decode(&headers.signature);
        std::fs::write(d("sig.bin"), sig).unwrap();
        std::fs::write(
            d("msg.txt"),
            signing_text(ts, "POST", "/trade-api/v2/portfolio/events/orders"),
        )
        .unwrap();
        let out = openssl(&[
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-sigopt",
            "rsa_mgf1_md:sha256",
            "-verify",
            &d("pub.pem"),
            "-signature",
            &d("sig.bin"),
            &d("msg.txt"),
        ]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
            "{key}"
        );
    }
}

#[test]
fn ed25519_signatures_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &d("ed.pem")]);
    openssl(&[
        "pkey",
        "-in",
        &d("ed.pem"),
        "-pubout",
        "-out",
        &d("pub.pem"),
    ]);
    let signer =
        Signer::from_pem_file("ed-key", std::path::Path::new(&d("ed.pem"))).expect("key loads");
    let debug = format!("{signer:?}");
    assert!(
        debug.contains("ed25519") && debug.contains("[REDACTED]"),
        "{debug}"
    );
    let ts = 1_763_900_000_456;
    let headers = signer
        .sign_at(
            ts,
            "delete",
            "/trade-api/v2/portfolio/events/orders/abc?subaccount=0",
        )
        .unwrap();
    assert_eq!(headers.key_id, "ed-key");
    let sig = base64_decode(&headers.signature);
    assert_eq!(sig.len(), 64, "an Ed25519 signature is 64 bytes");
    std::fs::write(d("sig.bin"), &sig).unwrap();
    std::fs::write(
        d("msg.txt"),
        signing_text(ts, "DELETE", "/trade-api/v2/portfolio/events/orders/abc"),
    )
    .unwrap();
    let out = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        &d("pub.pem"),
        "-rawin",
        "-in",
        &d("msg.txt"),
        "-sigfile",
        &d("sig.bin"),
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A tampered message must not verify.
    std::fs::write(
        d("msg.txt"),
        signing_text(ts, "GET", "/trade-api/v2/portfolio/balance"),
    )
    .unwrap();
    let bad = Command::new("openssl")
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            &d("pub.pem"),
            "-rawin",
        ])
        .args(["-in", &d("msg.txt"), "-sigfile", &d("sig.bin")])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn the_key_kind_is_told_from_the_pem_and_errors_never_echo_it() {
    use desk_backend::kalshi::signer::{parse_private_key, PrivateKey, PublicKey};
    use secrecy::SecretString;
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &d("ed.pem")]);
    openssl(&["pkey", "-in", &d("ed.pem"), "-pubout", "-out", &d("ed.pub")]);
    let pem = std::fs::read_to_string(d("ed.pem")).unwrap();
    let key = parse_private_key(&SecretString::from(pem.clone())).unwrap();
    assert!(matches!(key, PrivateKey::Ed25519(_)));
    assert!(!format!("{key:?}").contains(pem.lines().nth(1).unwrap()));
    let public = PublicKey::from_pem(&std::fs::read_to_string(d("ed.pub")).unwrap()).unwrap();
    assert_eq!(key.public_key(), public);
    // An Ed448 key is PKCS#8 too, but no kind Kalshi issues.
    openssl(&["genpkey", "-algorithm", "ed448", "-out", &d("ed448.pem")]);
    let ed448 = std::fs::read_to_string(d("ed448.pem")).unwrap();
    let err = parse_private_key(&SecretString::from(ed448.clone())).unwrap_err();
    assert!(!err.to_string().contains(ed448.lines().nth(1).unwrap()));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}
