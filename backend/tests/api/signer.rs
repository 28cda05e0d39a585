//! The signer's signatures verify with an independent implementation: the `openssl` CLI.

use std::process::Command;

use desk_backend::signer::{signing_text, Signer};

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

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}
