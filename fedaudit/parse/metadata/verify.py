"""Verify the XML signature of a metadata document with signxml (never by hand).

What "valid" means here: the ``ds:Signature`` that is a direct child of the document root
verifies cryptographically (XML-DSig core validation: SignedInfo signature and every Reference
digest) and its single Reference covers the whole document: ``URI=""`` or ``URI="#<root ID>"``
with that ID carried by exactly one element. When the root carries no signature, a single
``ds:Signature`` elsewhere whose one Reference is the whole document (``URI=""`` or no URI, as
xmlsec1 reads it) with the enveloped-signature transform is judged the same way: it covers every
byte wherever it sits. Everything else is not valid for the document:

* a root signature over an inner element (signature wrapping, Somorovsky et al., "On Breaking
  SAML: Be Whoever You Want to Be", USENIX Security 2012) is ``invalid``;
* signatures only over inner elements of an unsigned root are ``invalid`` as an
  "unsupported signature placement" (the document itself is not signed);
* several Signatures on the root, several References, or duplicated IDs are ``invalid``;
* a document without any ``ds:Signature`` is ``absent``;
* a signature we cannot judge (no certificate in the document verifies it and the signature
  names none in ``ds:KeyInfo``; an algorithm signxml does not know) is ``error``.

Verification is cryptographic only. The signer certificate is checked against its own validity
period (signxml is given a verification time inside it), so an expired signer does not make a
signature invalid; its ``not_after`` is reported as a fact of its own. Trust is not judged here:
a self-signed document proves integrity; ``signer_source == "trusted"`` says the signer is one of
the caller's pinned certificates, and the evidence join (``authenticated``) and the engine
compare ``signer_thumbprint`` with the AD FS and Entra certificates.

Interop corrections over plain signxml (see :func:`_verifier_class`): comments are dropped for
same-document references, and the stray ``xmlns=""`` of an inclusive-C14N SignedInfo is excised
from the SignedInfo only, on a second attempt.

Only :class:`~fedaudit.errors.FedauditError` escapes :func:`verify_metadata`; everything
signxml, lxml or cryptography raise on hostile input becomes a verdict.

Candidate keys, in order: certificates the caller trusts (``trusted``), the document's own
signing KeyDescriptor certificates that share a key with the ``ds:KeyInfo`` certificate, the
``ds:KeyInfo`` certificate(s), then the other signing KeyDescriptor certificates (AD FS and
Entra ID sign with the published token-signing certificate; federations such as SWAMID sign
with a certificate that appears only in ``ds:KeyInfo``).
SHA-1 signature and digest methods verify; they are reported in ``signature_algorithm`` /
``digest_algorithm`` so that a check can flag them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from fedaudit.errors import UsageError
from fedaudit.parse.metadata.parse import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    NS,
    MetadataDocument,
    _Collector,
    parse_tree,
    quiet_serial_warning,
)
from fedaudit.records import Certificate

__all__ = ["SIGNATURE_STATES", "SignatureVerification", "algorithm_name", "verify_metadata", "verify_tree"]

SIGNATURE_STATES = ("valid", "invalid", "absent", "error")

_DS = "{%s}" % NS["ds"]
_ID_ATTRS = ("ID", "Id", "id", "{http://www.w3.org/XML/1998/namespace}id")
_SIGNING_USES = ("signing", "unspecified")
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


@dataclass(frozen=True)
class SignatureVerification:
    """The verdict on a document's signature.

    ``signer`` is the certificate whose key verified the signature (only when ``valid``);
    ``signer_source`` says where it came from: ``KeyDescriptor``, ``KeyInfo`` or ``trusted``.
    ``signature_algorithm``/``digest_algorithm`` are short names (``rsa-sha256``, ``sha1``)
    taken from the SignedInfo whatever the outcome.
    """

    status: str
    signer: Certificate | None = None
    signer_source: str | None = None
    signature_algorithm: str | None = None
    digest_algorithm: str | None = None
    reference_uri: str | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.status not in SIGNATURE_STATES:
            raise UsageError(f"status must be one of {SIGNATURE_STATES}, got {self.status!r}")
        if (self.status == "valid") != (self.signer is not None):
            raise UsageError("a valid signature names its signer, and only a valid one")

    @property
    def signer_thumbprint(self) -> str | None:
        return self.signer.thumbprint if self.signer else None

    @property
    def signer_not_after(self) -> dt.datetime | None:
        return self.signer.not_after if self.signer else None

    @property
    def weak_algorithm(self) -> bool:
        """True when SHA-1 is used for the signature or the digest."""
        return any(a is not None and "sha1" in a.lower() for a in (self.signature_algorithm, self.digest_algorithm))


def algorithm_name(uri: str | None) -> str | None:
    """``http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`` -> ``rsa-sha256``."""
    if not uri:
        return None
    return uri.rsplit("#", 1)[-1] if "#" in uri else uri


def _verifier_config(cert: x509.Certificate):
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod

    # A moment inside the certificate's own validity: signxml then does not reject expired
    # (or not yet valid) signers, which is a separate fact for the audit.
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    when = start + (end - start) / 2 if end > start else start
    return SignatureConfiguration(
        require_x509=True,
        location="./",  # replaced by the exact element (see _Verifier._get_signature)
        expect_references=1,
        signature_methods=frozenset(m for m in SignatureMethod if not m.name.startswith("HMAC")),
        digest_algorithms=frozenset(DigestAlgorithm),
        ignore_ambiguous_key_info=True,
        verification_time=when,
    )


def _hardened_parser() -> etree.XMLParser:
    # signxml re-parses the bytes with this; the document already passed parse_tree.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _same_key(a: Certificate, b: Certificate) -> bool:
    try:
        with quiet_serial_warning():
            ka = x509.load_der_x509_certificate(a.der or b"").public_key()
            kb = x509.load_der_x509_certificate(b.der or b"").public_key()
        fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return ka.public_bytes(*fmt) == kb.public_bytes(*fmt)
    except Exception:  # ValueError, TypeError, UnsupportedAlgorithm (an unknown key type)
        return False


def _candidates(
    key_descriptor: Sequence[Certificate], key_info: Sequence[Certificate], trusted: Sequence[Certificate]
) -> list[tuple[Certificate, str]]:
    ordered: list[tuple[Certificate, str]] = [(c, "trusted") for c in trusted]
    ordered += [(c, "KeyDescriptor") for c in key_descriptor if any(_same_key(c, k) for k in key_info)]
    ordered += [(c, "KeyInfo") for c in key_info]
    ordered += [(c, "KeyDescriptor") for c in key_descriptor]
    seen: set[str] = set()
    out = []
    for cert, source in ordered:
        if cert.thumbprint not in seen and cert.der:
            seen.add(cert.thumbprint)
            out.append((cert, source))
    return out


def _describe(cert: Certificate) -> str:
    return f"{cert.subject or '?'} ({cert.thumbprint})"


def _element_path(element: etree._Element) -> str:
    parts = []
    node: etree._Element | None = element
    while node is not None:
        parts.append(etree.QName(node).localname)
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


def _id_count(root: etree._Element, value: str) -> int:
    """Elements carrying ``value`` in an ID-like attribute, namespaced or not (signxml resolves
    ``#value`` with ``@*[local-name()='ID']``, so ``wsu:Id``-style attributes count too)."""
    count = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, attr_value in el.attrib.items():
            if attr_value == value and (name in _ID_ATTRS or etree.QName(name).localname in ("ID", "Id", "id")):
                count += 1
                break
    return count


def _covers_whole_document(sig: etree._Element) -> bool:
    """One Reference, ``URI=""`` or no URI, with the enveloped-signature transform."""
    signed_info = sig.find(_DS + "SignedInfo")
    refs = signed_info.findall(_DS + "Reference") if signed_info is not None else []
    if len(refs) != 1 or refs[0].get("URI") not in (None, ""):
        return False
    return any(t.get("Algorithm") == _ENVELOPED for t in refs[0].iter(_DS + "Transform"))


def _signature_path(root: etree._Element, sig: etree._Element) -> tuple[tuple[str, int], ...]:
    """Where ``sig`` sits below ``root``: (tag, index among same-tag element siblings) steps, so
    the same element is found again in signxml's own parse of the bytes (comments and processing
    instructions, which parse_tree drops, do not shift the steps)."""
    steps: list[tuple[str, int]] = []
    node = sig
    while node is not root and node is not None:
        parent = node.getparent()
        if parent is None:
            break
        same = [c for c in parent if c.tag == node.tag]
        steps.append((str(node.tag), same.index(node)))
        node = parent
    return tuple(reversed(steps))


def _follow(root: etree._Element, path: tuple[tuple[str, int], ...]) -> etree._Element | None:
    node: etree._Element | None = root
    for tag, index in path:
        if node is None:
            return None
        same = [c for c in node if c.tag == tag]
        node = same[index] if index < len(same) else None
    return node


def _drop_comments(element: etree._Element) -> None:
    """Remove comment nodes below ``element``, keeping the text around them (a comment's tail
    joins the previous sibling's tail or the parent's text)."""
    for comment in list(element.iter(etree.Comment)):
        parent = comment.getparent()
        if parent is None:
            continue
        tail = comment.tail or ""
        prev = comment.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(comment)


@functools.lru_cache(maxsize=1)
def _verifier_class() -> type:
    from signxml import XMLVerifier

    class _Verifier(XMLVerifier):
        """signxml's verifier with three interop corrections and a fixed Signature element.

        * Same-document references (``URI=""``, ``URI="#id"``) are dereferenced without comments
          (XML-DSig 1.1 section 4.4.3.3: "the result ... MUST be an XPath node-set suitable for use
          by Canonical XML without comments"; xmlsec1, .NET and Santuario do this, signxml keeps
          them, so a commented aggregate signed by pyFF or the SWITCH federation failed its digest).
        * A Reference without URI is the whole document, as xmlsec1 reads it.
        * ``excise_empty_xmlns``: the spurious ``xmlns=""`` that inclusive C14N of a SignedInfo
          under an unprefixed ``<Signature xmlns="...xmldsig#">`` gains is removed from the
          SignedInfo only (signxml's ``excise_empty_xmlns_declarations`` does it for every
          canonicalisation; its interop test enables it for the xmlsec1-made eduGAIN sample).
        """

        path: tuple[tuple[str, int], ...] = ()
        excise_empty_xmlns = False
        saw_empty_xmlns = False

        def _get_signature(self, root: etree._Element) -> etree._Element:
            if root.tag == _DS + "Signature":
                return root
            found = _follow(root, self.path)
            if found is None or found.tag != _DS + "Signature":
                from signxml.exceptions import InvalidInput

                raise InvalidInput("the ds:Signature element is not where the document has it")
            return found

        def _c14n(self, nodes: Any, algorithm: Any, inclusive_ns_prefixes: Any = None) -> bytes:
            out = super()._c14n(nodes, algorithm, inclusive_ns_prefixes=inclusive_ns_prefixes)
            is_signed_info = (
                isinstance(nodes, etree._Element)
                and nodes.tag == _DS + "SignedInfo"
                and nodes.getparent() is not None
                and nodes.getparent().getparent() is None
            )
            exclusive = algorithm.value.startswith("http://www.w3.org/2001/10/xml-exc-c14n#")
            if is_signed_info and not exclusive and b' xmlns=""' in out:
                self.saw_empty_xmlns = True
                if self.excise_empty_xmlns:
                    out = out.replace(b' xmlns=""', b"")
            return out

        def _resolve_reference(
            self, doc_root: etree._Element, reference: etree._Element, uri_resolver: Any = None
        ) -> Any:
            uri = reference.get("URI")
            if uri is None:
                payload = doc_root
            else:
                payload = super()._resolve_reference(doc_root, reference, uri_resolver=uri_resolver)
            same_document = uri is None or uri == "" or (uri.startswith("#") and not uri.startswith("#xpointer("))
            if same_document and isinstance(payload, etree._Element):
                _drop_comments(payload)
            return payload

    return _Verifier


def _verify_with(data: bytes, cert: x509.Certificate, path: tuple[tuple[str, int], ...]) -> Any:
    """signxml verification of the Signature at ``path`` with ``cert``; retried once with the
    SignedInfo ``xmlns=""`` excised when the plain SignedInfo does not verify and had one."""
    from signxml.exceptions import InvalidDigest, InvalidSignature

    verifier = _verifier_class()()
    verifier.path = path
    config = _verifier_config(cert)
    try:
        return verifier.verify(data, x509_cert=cert, parser=_hardened_parser(), expect_config=config)
    except InvalidDigest:
        raise  # SignedInfo verified: the content changed, excising cannot help
    except InvalidSignature:
        if not verifier.saw_empty_xmlns:
            raise
    retry = _verifier_class()()
    retry.path = path
    retry.excise_empty_xmlns = True
    return retry.verify(data, x509_cert=cert, parser=_hardened_parser(), expect_config=config)


def verify_metadata(
    data: bytes,
    origin: str = "<metadata>",
    *,
    trusted: Iterable[Certificate] = (),
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> SignatureVerification:
    """Verify the signature of metadata ``data``. Raises :class:`InputError` (HostileXMLError,
    ParseError) only when the bytes are not a safe metadata document; every signature outcome,
    however broken, is a :class:`SignatureVerification`: nothing but a
    :class:`~fedaudit.errors.FedauditError` escapes."""
    root = parse_tree(data, origin, max_bytes=max_bytes, max_depth=max_depth)
    return verify_tree(root, data, origin, trusted=trusted)


def verify_tree(
    root: etree._Element,
    data: bytes,
    origin: str = "<metadata>",
    *,
    trusted: Iterable[Certificate] = (),
    document: MetadataDocument | None = None,
) -> SignatureVerification:
    """:func:`verify_metadata` for a document already parsed by :func:`~.parse.parse_tree`
    (``root``; ``data`` are its bytes, which signxml verifies). ``document``, when given, is
    :func:`~.parse.document_from_tree` of the same ``root``: its signature facts and signing keys
    are used instead of being read from the tree a second time."""
    collector = _Collector(origin)
    root_sigs = root.findall(_DS + "Signature")
    if not root_sigs:
        inner = [s for s in root.iter(_DS + "Signature") if s.getparent() is not None]
        if not inner:
            return SignatureVerification("absent")
        whole = [s for s in inner if _covers_whole_document(s)]
        if len(whole) != 1 or len(inner) != 1:
            where = ", ".join(_element_path(s) for s in inner[:3]) + (" ..." if len(inner) > 3 else "")
            what = (
                "none of them covers the whole document"
                if not whole
                else f"{len(whole)} of them cover the whole document (ambiguous)"
            )
            return SignatureVerification(
                "invalid",
                error=f"unsupported signature placement: the document root is not signed; {len(inner)} "
                f"ds:Signature element(s) at {where} and {what}, so the document is not authenticated",
            )
        # A signature below the root whose single Reference is the whole document (URI="" or no
        # URI, xmlsec1's reading) with the enveloped-signature transform covers every byte of it
        # (python3-saml signs SPSSODescriptor this way): judged like a root signature.
        root_sigs = whole
    info = (
        document.signature
        if document is not None and document.signature is not None
        else collector.signature(root_sigs[0])
    )
    sig_alg = algorithm_name(info.signature_method)
    dig_alg = algorithm_name(info.digest_methods[0]) if info.digest_methods else None

    def result(
        status: str, error: str | None = None, signer: Certificate | None = None, source: str | None = None
    ) -> SignatureVerification:
        return SignatureVerification(
            status,
            signer=signer,
            signer_source=source,
            signature_algorithm=sig_alg,
            digest_algorithm=dig_alg,
            reference_uri=info.reference_uris[0] if info.reference_uris else None,
            error=error,
        )

    if len(root_sigs) > 1:
        return result("invalid", f"{len(root_sigs)} ds:Signature elements on the document root (ambiguous)")
    if len(info.reference_uris) != 1:
        return result(
            "invalid",
            f"SignedInfo has {len(info.reference_uris)} References; exactly one, "
            "covering the document root, is required",
        )
    uri = info.reference_uris[0]
    root_id = root.get("ID")
    if uri is not None and uri != "":
        if not root_id or uri != f"#{root_id}":
            return result(
                "invalid",
                f"the signature covers {uri}, not the document root (root ID {root_id!r}); signature wrapping",
            )
        count = _id_count(root, root_id)
        if count != 1:
            return result("invalid", f"ID {root_id!r} is carried by {count} elements (duplicated IDs)")

    entities = document.entities if document is not None else collector.walk(root, None, None)
    key_descriptor = [key.certificate for entity in entities for key in entity.keys if key.use in _SIGNING_USES]
    candidates = _candidates(key_descriptor, info.key_info_certificates, tuple(trusted))
    if not candidates:
        return result(
            "error", "no certificate to check the signature with (no ds:KeyInfo certificate, no signing KeyDescriptor)"
        )

    from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature

    path = _signature_path(root, root_sigs[0])

    failures: list[str] = []
    for cert, source in candidates:
        try:
            with quiet_serial_warning():
                loaded = x509.load_der_x509_certificate(cert.der or b"")
                verified = _verify_with(bytes(data), loaded, path)
        except InvalidDigest as exc:
            # SignedInfo verified with this key, so the signer is known, but the signed content
            # changed afterwards: definitive.
            return result(
                "invalid",
                f"digest mismatch: content changed after signing ({exc}); SignedInfo verifies with {_describe(cert)}",
            )
        except InvalidSignature as exc:  # includes InvalidCertificate: try the next key
            failures.append(f"{_describe(cert)}: {exc}".strip())
            continue
        except (InvalidInput, etree.DocumentInvalid, etree.XMLSyntaxError) as exc:
            # The Signature element itself is malformed (schema-invalid, unresolvable reference):
            # the same for every key.
            message = " ".join(str(exc).split())
            if message.startswith("Unrecognized ") or "forbidden by configuration" in message:
                return result("error", f"unsupported algorithm: {message}")
            return result("invalid", f"malformed signature: {message}")
        except ValueError as exc:  # an algorithm URI signxml does not know
            return result("error", f"cannot verify: {' '.join(str(exc).split())}")
        except Exception as exc:  # third-party code on hostile input: judge, never crash
            failures.append(f"{_describe(cert)}: {type(exc).__name__}: {' '.join(str(exc).split())}")
            continue
        signed = verified.signed_xml
        if signed is None or signed.tag != root.tag or (uri and signed.get("ID") != root_id):
            return result("invalid", "the signed data is not the document root")
        return result("valid", signer=cert, source=source)

    tried = len(candidates)
    if info.key_info_certificates or tuple(trusted):
        return result(
            "invalid",
            f"signature verification failed with all {tried} candidate certificates "
            f"(first: {failures[0] if failures else 'none'})",
        )
    return result(
        "error",
        f"cannot check: ds:Signature names no certificate (no ds:KeyInfo) and none of the document's "
        f"{tried} signing certificates verifies it; the signer is not in the document",
    )
