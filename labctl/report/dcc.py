"""The record as a PTB Digital Calibration Certificate (DCC 3.3.0, D-SI 2.2.1).

``dcc_xml(view)`` writes the same certificate view the HTML uses: administrative data
(software, core data with the certificate number, the item, the laboratory, the
responsible persons, the customer, statements: conformity with the decision rule, the
uncertainty statement, deviations, the record's integrity, and DRAFT for a draft) and
measurement results (method, the standards as measuring equipment, the environment as
influence conditions, one ``measurementResult`` per test whose results hold each point's
nominal value, indication, error as ``si:real`` with ``si:expandedUnc``, the MPE, and the
point's conformity; the nominal value and the error named as the analysis names their
columns, ``details["nominal_label"]`` and ``details["error_label"]``, with their Chinese
``..._label_zh`` where given). ``validate_dcc`` checks a document against the shipped XSD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

DCC = "https://ptb.de/dcc"
SI = "https://ptb.de/si"
SCHEMA_VERSION = "3.3.0"
ET.register_namespace("dcc", DCC)
ET.register_namespace("si", SI)

_CONFORMITY = {"pass": "pass", "fail": "fail", "conditional_pass": "conditionalPass",
               "conditional_fail": "conditionalFail"}

# D-SI unit names of the units labctl records hold (pint's names -> D-SI)
_DSI_UNITS = {"kilogram": r"\kilogram", "gram": r"\gram", "meter": r"\metre", "second": r"\second",
              "liter": r"\litre", "kelvin": r"\kelvin", "degree_Celsius": r"\degreeCelsius",
              "percent": r"\percent", "pascal": r"\pascal", "volt": r"\volt",
              "ampere": r"\ampere", "ohm": r"\ohm", "hertz": r"\hertz", "watt": r"\watt",
              "mole": r"\mole", "minute": r"\minute", "hour": r"\hour", "bar": r"\bar",
              "newton": r"\newton", "joule": r"\joule", "dimensionless": r"\one",
              "ppm": r"\ppm", "delta_degree_Celsius": r"\degreeCelsius"}
_PREFIXES = {"yocto": r"\yocto", "zepto": r"\zepto", "atto": r"\atto", "femto": r"\femto",
             "pico": r"\pico", "nano": r"\nano", "micro": r"\micro", "milli": r"\milli",
             "centi": r"\centi", "deci": r"\deci", "hecto": r"\hecto", "kilo": r"\kilo",
             "mega": r"\mega", "giga": r"\giga"}


def dsi_unit(unit: str) -> str:
    """The D-SI text of a unit (``kg`` -> ``\\kilogram``, ``ug/m^3`` ->
    ``\\micro\\gram\\metre\\tothe{-3}``); a unit pint cannot read is kept as written."""
    if unit in ("%", "percent"):
        return r"\percent"
    if unit in ("°C", "degC"):
        return r"\degreeCelsius"
    try:
        from labctl.units import parse_unit

        parsed = parse_unit(unit)
    except Exception:  # a unit labctl cannot parse: the schema does not check units
        return unit or r"\one"
    parts = []
    for name, power in parsed._units.items():  # noqa: SLF001 - pint's unit container
        text = _DSI_UNITS.get(name)
        if text is None:
            for prefix, dsi in _PREFIXES.items():
                if name.startswith(prefix) and name[len(prefix):] in _DSI_UNITS:
                    text = dsi + _DSI_UNITS[name[len(prefix):]]
                    break
        if text is None:
            return unit
        parts.append(text if power == 1 else f"{text}\\tothe{{{power:g}}}")
    return "".join(parts) or r"\one"


def _num(value: float) -> str:
    text = repr(float(value))
    return text if re.fullmatch(r"[-+]?((\d*\.\d+)|(\d+\.\d*)|(\d+\.?))([Ee][-+]?\d+)?",
                                text) else f"{value:.12g}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = DCC,
         **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        el.text = " ".join(str(text).split())  # notEmptyStringType: no edge whitespace
    return el


def _text(parent: ET.Element, tag: str, en: str, zh: str | None = None) -> ET.Element:
    el = _sub(parent, tag)
    _sub(el, "content", en, lang="en")
    if zh:
        _sub(el, "content", zh, lang="zh")
    return el


def _rich(parent: ET.Element, tag: str, *texts: str) -> ET.Element:
    el = _sub(parent, tag)
    for t in texts:
        _sub(el, "content", t, lang="en")
    return el


def _location(parent: ET.Element, party: Any) -> None:
    loc = _sub(parent, "location")
    if getattr(party, "city", ""):
        _sub(loc, "city", party.city)
    if getattr(party, "country", None):
        _sub(loc, "countryCode", party.country)
    if getattr(party, "address", ""):
        _rich(loc, "further", party.address)
    if not len(loc):
        _rich(loc, "further", "not stated")


def _real(parent: ET.Element, value: float, unit: str, u: float | None = None,
          k: float | None = None, p: float | None = None) -> ET.Element:
    real = _sub(parent, "real", ns=SI)
    _sub(real, "value", _num(value), ns=SI)
    _sub(real, "unit", dsi_unit(unit), ns=SI)
    if u is not None and k is not None:
        unc = _sub(real, "expandedUnc", ns=SI)
        _sub(unc, "uncertainty", _num(u), ns=SI)
        _sub(unc, "coverageFactor", _num(max(k, 1.0)), ns=SI)
        _sub(unc, "coverageProbability", f"{p if p is not None else 0.9545:.4f}", ns=SI)
        _sub(unc, "distribution", "normal", ns=SI)
    return real


def _quantity(parent: ET.Element, name: str, q: Any, *, refid: str | None = None,
              u: Any = None, k: float | None = None, p: float | None = None,
              zh: str | None = None) -> ET.Element:
    quantity = _sub(parent, "quantity", **({"refType": refid} if refid else {}))
    _text(quantity, "name", name, zh)
    uu = None
    if u is not None and q is not None:
        uu = u.value if u.unit == q.unit else _convert(u.value, u.unit, q.unit)
    _real(quantity, q.value, q.unit, uu, k, p)
    return quantity


def _convert(value: float, unit: str, to: str) -> float:
    from labctl.units import Q_, parse_unit

    return float(Q_(value, parse_unit(unit)).m_as(parse_unit(to)))


def _statement(parent: ET.Element, name: str, declaration: str, *, norm: str | None = None,
               conformity: str | None = None, valid: bool | None = None,
               date: str | None = None, period: str | None = None) -> None:
    st = _sub(parent, "statement")
    _text(st, "name", name)
    if norm:
        _sub(st, "norm", norm)
    _rich(st, "declaration", declaration)
    if valid is not None:
        _sub(st, "valid", "true" if valid else "false")
    if date:
        _sub(st, "date", date)
    if period:
        _sub(st, "period", period)
    if conformity:
        _sub(st, "conformity", conformity)


def _iso_period(period: str | None) -> str | None:
    if not period:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(years?|months?)\s*", period)
    return None if m is None else f"P{m.group(1)}{'Y' if m.group(2)[0] == 'y' else 'M'}"


def dcc_xml(view: dict[str, Any], *, software_version: str) -> bytes:
    """The DCC 3.3.0 document of a certificate view, as UTF-8 XML bytes."""
    record = view["record"]
    draft = view["draft"]
    root = ET.Element(f"{{{DCC}}}digitalCalibrationCertificate", schemaVersion=SCHEMA_VERSION)
    admin = _sub(root, "administrativeData")
    sw = _sub(_sub(admin, "dccSoftware"), "software")
    _text(sw, "name", "labctl")
    _sub(sw, "release", software_version)
    _sub(sw, "type", "application")

    core = _sub(admin, "coreData")
    lab = view["lab"]
    # "ZZ" (ISO 3166 user-assigned: unknown) when the bench's issuer gives no country
    _sub(core, "countryCodeISO3166_1", lab.country or "ZZ")
    for lang in ("en", "zh"):
        _sub(core, "usedLangCodeISO639_1", lang)
    _sub(core, "mandatoryLangCodeISO639_1", "en")
    _sub(core, "uniqueIdentifier", ("DRAFT-" if draft else "") + view["number"])
    ids = _sub(core, "identifications")
    ident = _sub(ids, "identification")
    _sub(ident, "issuer", "calibrationLaboratory")
    _sub(ident, "value", record.id)
    _text(ident, "name", "labctl record id")
    _sub(core, "beginPerformanceDate", view["started"].date().isoformat())
    _sub(core, "endPerformanceDate", view["finished"].date().isoformat())
    _sub(core, "performanceLocation", view["place"].kind)
    _sub(core, "issueDate", view["issued"].isoformat())

    items = _sub(admin, "items")
    dut = view["dut"]
    item = _sub(items, "item")
    _text(item, "name", f"{dut.maker} {dut.model}".strip() or dut.driver)
    if view["plate"]:
        _rich(item, "description", view["plate"])
    if dut.maker:
        _text(_sub(item, "manufacturer"), "name", dut.maker)
    if dut.model:
        _sub(item, "model", dut.model)
    item_ids = _sub(item, "identifications")
    ident = _sub(item_ids, "identification")
    _sub(ident, "issuer", "manufacturer")
    _sub(ident, "value", dut.serial or "unknown")
    _text(ident, "name", "serial number", "出厂编号")

    cal_lab = _sub(admin, "calibrationLaboratory")
    contact = _sub(cal_lab, "contact")
    _text(contact, "name", lab.name)
    _location(contact, lab)

    persons = _sub(admin, "respPersons")
    for s in view["signatories"]:
        rp = _sub(persons, "respPerson")
        _text(_sub(rp, "person"), "name", s.name)
        act = "approved" if s.role == "approver" else "reviewed"
        personal = (f"; personal signature verified, key {s.personal_key}"
                    if s.personal_key else "; no personal signature (lab key only)")
        _rich(rp, "description", f"{s.title + '; ' if s.title else ''}{act} "
              f"{s.time.isoformat().replace('+00:00', 'Z')} (signed review entry in the "
              f"lab's registry{personal})")
        _sub(rp, "role", s.role)
        _sub(rp, "mainSigner", "true" if s.role == "approver" else "false")
    rp = _sub(persons, "respPerson")  # the operator performed the work; never a signatory
    _text(_sub(rp, "person"), "name", record.operator)
    if draft:
        _rich(rp, "description", "DRAFT: the record is not approved; no signatory.")
    _sub(rp, "role", "operator")
    _sub(rp, "mainSigner", "false")

    customer = _sub(admin, "customer")
    _text(customer, "name", view["customer"].name)
    _location(customer, view["customer"])

    statements = _sub(admin, "statements")
    if view.get("simulated"):
        _statement(statements, "SIMULATED", "SIMULATED: the instruments of this run were "
                   "simulators; this is not a calibration of a real instrument.", valid=False)
    if draft:
        _statement(statements, "DRAFT", "DRAFT: this DCC is not approved and is not a valid "
                   "certificate; it names no signatory.", valid=False)
    conclusion = view["conclusion"]
    conformity = _CONFORMITY[view["decision"]]
    _statement(statements, "conformity",
               (conclusion.statement if conclusion else "Decision over all results: "
                + view["decision"]) + " Decision rule: " + view["decision_rule"].statement,
               norm=view["method"].document, conformity=conformity,
               date=(conclusion.next_due.isoformat()
                     if conclusion and conclusion.next_due else None),
               period=_iso_period(conclusion.period if conclusion else None))
    if view["non_conforming"]:
        _statement(statements, "non-conforming items", ", ".join(view["non_conforming"]))
    _statement(statements, "measurement uncertainty", view["uncertainty_statement"])
    _statement(statements, "deviations from the method",
               "; ".join(view["method"].deviations) or "none")
    sig = view["signature"]
    _statement(statements, "record integrity",
               f"labctl record {record.id}, SHA-256 {record.hash or 'none'}, Ed25519 key "
               f"{record.key_id or 'none'}: " + ("hash and signature verified"
                                                 if sig.verified else "NOT verified: "
                                                 + "; ".join(sig.problems)),
               valid=sig.verified)

    results = _sub(root, "measurementResults")
    for test in view["tests"]:
        _test_result(results, test, view, record)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _test_result(parent: ET.Element, test: dict[str, Any], view: dict[str, Any],
                 record: Any) -> None:
    mr = _sub(parent, "measurementResult")
    _text(mr, "name", test["title"])
    methods = _sub(mr, "usedMethods")
    used = _sub(methods, "usedMethod")
    _text(used, "name", f"{view['method'].document} {view['method'].title}".strip())
    _sub(used, "norm", view["method"].document)
    equipment = _sub(mr, "measuringEquipments")
    for g in view["groups"]:
        me = _sub(equipment, "measuringEquipment")
        _text(me, "name", f"{g['id']} ({g['description']})")
        _rich(me, "description", f"certificate {g['certificate']} issued by {g['issued_by']}, "
              f"calibrated {g['calibrated']}, due {g['due']}; corrections: "
              + "; ".join(g["corrections"]))
        cert = _sub(me, "certificate")
        _text(cert, "referral", g["issued_by"])
        _sub(cert, "referralID", g["certificate"])
        _sub(cert, "procedure", "certificate number (no hash)")
        _sub(cert, "value", g["certificate"])
        _sub(cert, "inValidityRange", "false" if g["expired"] else "true")
        _sub(cert, "traceable", "true")
        ids = _sub(me, "identifications")
        ident = _sub(ids, "identification")
        _sub(ident, "issuer", "calibrationLaboratory")
        _sub(ident, "value", g["id"])
    env = record.environment
    ranges = {"temperature": env.temperature, "humidity": env.humidity,
              **(env.model_extra or {})}
    if any(r is not None for r in ranges.values()):
        conditions = _sub(mr, "influenceConditions")
        for name, r in ranges.items():
            if r is None:
                continue
            cond = _sub(conditions, "influenceCondition")
            _text(cond, "name", name)
            _rich(cond, "description", f"{env.source} over the run: min {r.min:g}, "
                  f"max {r.max:g}, mean {r.mean:.4g} {r.unit}")
            data = _sub(cond, "data")
            for what, value in (("minimum", r.min), ("maximum", r.max)):
                q = _sub(data, "quantity")
                _text(q, "name", f"{name} {what}")
                _real(q, value, r.unit)
    results = _sub(mr, "results")
    for row in test["rows"]:
        p = row["source"]       # the record's point (ids may repeat across quantities)
        result = _sub(results, "result")
        _text(result, "name", p.point)
        if p.notes:
            _rich(result, "description", p.notes)
        data = _sub(result, "data")
        details = p.details or {}
        if p.nominal is not None:  # named as the analysis names the column
            _quantity(data, str(details.get("nominal_label") or "nominal value"), p.nominal,
                      zh=details.get("nominal_label_zh"))
        if p.indication is not None:
            _quantity(data, "indication", p.indication)
        if p.error is not None:
            probability = (p.budget or {}).get("coverage_probability")
            q = _quantity(data, str(details.get("error_label") or "error"), p.error,
                          u=p.expanded_uncertainty, k=p.coverage_factor, p=probability,
                          zh=details.get("error_label_zh"))
            meta = _sub(_sub(q, "measurementMetaData"), "metaData")
            _text(meta, "name", "conformity")
            _rich(meta, "declaration", f"decided by rule {p.rule}"
                  + (f" against MPE {p.mpe.value:g} {p.mpe.unit}" if p.mpe else ""))
            _sub(meta, "conformity", _CONFORMITY[p.decision])
        else:
            q = _sub(data, "quantity")
            _text(q, "name", "check")
            _rich(q, "noQuantity", f"{p.decision} ({p.rule})")
            meta = _sub(_sub(q, "measurementMetaData"), "metaData")
            _text(meta, "name", "conformity")
            _sub(meta, "conformity", _CONFORMITY[p.decision])
        if p.mpe is not None:
            _quantity(data, "maximum permissible error", p.mpe)


# -- validation ----------------------------------------------------------------------------

def schema_dir() -> Path:
    """The folder of the shipped DCC 3.3.0 XSDs (LGPL-3.0, PTB; see its NOTICE.md)."""
    return Path(str(resources.files("labctl.report").joinpath("schemas", "dcc")))


@lru_cache(maxsize=1)
def dcc_schema() -> Any:
    """The DCC 3.3.0 schema, read offline (needs ``xmlschema``, a test dependency)."""
    import xmlschema

    d = schema_dir()
    qudt = {"https://www.ptb.de/si/v2.2.1/qudt/quantitykind.xsd":
            str(d / "si" / "qudt" / "quantitykind.xsd")}
    return xmlschema.XMLSchema(str(d / "dcc.xsd"), uri_mapper=qudt)


def validate_dcc(xml: bytes | str | Path) -> list[str]:
    """The schema errors of a DCC document (empty when it is valid)."""
    source = str(xml) if isinstance(xml, Path) else xml
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    return [str(e.reason or e) + f" at {e.path}" for e in dcc_schema().iter_errors(source)]
