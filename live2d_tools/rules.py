"""THE rule table: every finding the validator can produce, with a stable id, severity and source.

Rows up to C2-003 are LIVE2D.md §6 (ids kept as proposed there); TEX-006, ZIP-*, EMO-* and CORE-* are the
TinyTalk additions (zip safety, emotions, Core load check). Ids never change once published; retire a rule
by keeping its row. ``docs/live2d-rules.md`` is generated from this table (``scripts/gen_live2d_rules.py``).

Severity policy (LIVE2D.md §6): error = will not load, crashes a runtime or is unreachable on a
case-sensitive CDN (blocks publishing); warning = loads but silently does nothing / breaks the official
schema; info = hygiene or context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "SEVERITIES", "Rule", "Severity", "get_rule", "rules_markdown"]

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# LIVE2D.md section each rule family comes from
_REFS = {
    "PKG": "LIVE2D.md §6, §9.5",
    "JSON": "LIVE2D.md §0 (CubismJson), §8",
    "M3": "LIVE2D.md §1",
    "REF": "LIVE2D.md §0, §9.6",
    "MOC": "LIVE2D.md §5",
    "TEX": "LIVE2D.md §9.3",
    "MOT": "LIVE2D.md §2",
    "EXP": "LIVE2D.md §3.1",
    "PHY": "LIVE2D.md §3.2",
    "POSE": "LIVE2D.md §3.3",
    "CDI": "LIVE2D.md §3.4",
    "UD": "LIVE2D.md §3.5",
    "XREF": "LIVE2D.md §0, §5.2",
    "C2": "LIVE2D.md §5.4",
    "ZIP": "issue 5 (zips)",
    "EMO": "issue 5 item 2",
    "CORE": "issue 5 item 3; LIVE2D.md §10",
}


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    source: str

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]

    @property
    def ref(self) -> str:
        return _REFS.get(self.family, "LIVE2D.md §6")

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "severity": self.severity, "title": self.title, "source": self.source, "ref": self.ref}


RULE_ROWS: tuple[tuple[str, str, str, str], ...] = (
    (
        "PKG-001",
        "error",
        "Folder contains no *.model3.json (a Cubism 2 model.json switches to the legacy C2 rules)",
        "CubismWebSamples LAppModel loads one model3.json per folder",
    ),
    (
        "PKG-002",
        "warning",
        "More than one *.model3.json in the folder (ambiguous entry point)",
        "publishing convention",
    ),
    ("PKG-003", "error", "Referenced file is empty (0 bytes)", "runtime loaders"),
    (
        "PKG-004",
        "warning",
        "Editor/project source files shipped (*.cmo3, *.can3, *.psd, *.cmo, *.canvas)",
        "publishing hygiene",
    ),
    ("PKG-005", "info", "File in folder not referenced by model3.json", "publishing hygiene"),
    (
        "JSON-001",
        "error",
        "JSON file is not valid UTF-8 / not parseable / root not an object",
        "CubismJson.arrayBufferToString uses decodeURIComponent (throws on bad UTF-8)",
    ),
    (
        "JSON-002",
        "warning",
        "JSON file starts with a UTF-8 BOM (Cubism parser skips it, Python json and some tools fail)",
        "CubismJson.parseValue default branch; issue reports",
    ),
    ("JSON-003", "error", "Non-standard JSON literal NaN/Infinity", "RFC 8259"),
    ("JSON-004", "warning", "Unknown key (spec schemas use additionalProperties:false)", "CubismSpecs schemas"),
    (
        "M3-001",
        "warning",
        "Version missing or not a number (spec: required; value 3 in all exports)",
        "CubismSpecs model3.json.md",
    ),
    ("M3-002", "error", "FileReferences missing or not an object", "CubismSpecs model3.json.md (required)"),
    (
        "M3-003",
        "error",
        "FileReferences.Moc missing or not a string",
        "CubismSpecs (required); pixi Cubism4ModelSettings.isValidJSON",
    ),
    (
        "M3-004",
        "error",
        "FileReferences.Textures missing, empty, or not an array of strings",
        "CubismSpecs (required); pixi isValidJSON",
    ),
    (
        "M3-005",
        "error",
        "Optional reference has wrong type (Physics/Pose/DisplayInfo/UserData/MotionSync must be string; "
        "Expressions array; Motions object)",
        "CubismSpecs model3.json.md",
    ),
    ("M3-006", "error", "Expressions[] entry lacks Name or File string", "CubismSpecs (required Name, File)"),
    (
        "M3-007",
        "warning",
        "Expression Name empty or duplicated",
        "CubismModelSettingJson.getExpressionName (looked up by name in apps)",
    ),
    (
        "M3-008",
        "error",
        "Motions group entry is not an object with a File string",
        "CubismSpecs motion definition (required File)",
    ),
    (
        "M3-009",
        "warning",
        "Motion FadeInTime/FadeOutTime not a number >= 0 (negative means 'use motion file value')",
        "CubismModelSettingJson.getMotionFadeInTimeValue returns -1 when absent",
    ),
    ("M3-010", "warning", "Motion group name empty", "apps trigger motions by group name"),
    ("M3-011", "error", "Groups[] entry lacks Target/Name/Ids or wrong types", "CubismSpecs group definition"),
    (
        "M3-012",
        "warning",
        "Groups Target != 'Parameter' or Name not EyeBlink/LipSync, or duplicated Name (framework uses first)",
        "CubismSpecs; CubismModelSettingJson.getEyeBlinkParameterCount",
    ),
    ("M3-013", "error", "HitAreas[] entry lacks Id or Name string", "CubismSpecs hitareas definition"),
    ("M3-014", "warning", "HitAreas Name duplicated", "LAppModel.hitTest looks up by Name"),
    (
        "M3-015",
        "warning",
        "Layout key not one of width/height/x/y/center_x/center_y/top/bottom/left/right or non-numeric",
        "CubismModelMatrix.setupFromLayout; CubismSpecs",
    ),
    ("M3-016", "warning", "Referenced file has unexpected extension for its role", "Cubism Editor export naming"),
    (
        "M3-017",
        "info",
        "Motion has a Sound; official Web sample lip-sync only reads RIFF/WAVE linear PCM",
        "CubismWebSamples lappwavfilehandler.ts",
    ),
    (
        "REF-001",
        "error",
        "Path empty, absolute, has URL scheme or drive letter",
        "model3.json paths are relative to the model3.json",
    ),
    ("REF-002", "error", "Path escapes the model folder ('..' above root)", "self-contained CDN package"),
    ("REF-003", "error", "Referenced file does not exist", "runtime fetch fails"),
    (
        "REF-004",
        "error",
        "File exists only with different letter case (works on Windows/macOS, 404 on CDN/Linux)",
        "case-sensitive object stores",
    ),
    (
        "REF-005",
        "error",
        "File exists only under a different Unicode normalization (NFC vs NFD)",
        "macOS-created archives",
    ),
    ("REF-006", "warning", "Path uses backslashes", "URL/Native loaders"),
    (
        "REF-007",
        "error",
        "Path contains '#', '?' or '%' (breaks URL building: dir + fileName)",
        "LAppModel fetch(`${dir}${file}`)",
    ),
    (
        "REF-008",
        "warning",
        "Path contains spaces or non-ASCII characters (needs percent-encoding; fragile in some loaders)",
        "pixi FileLoader encodeURI mismatch (airi #2124)",
    ),
    (
        "MOC-001",
        "error",
        "File shorter than header + section offset table",
        "moc3 header is 64 bytes, table 160/480 u32",
    ),
    (
        "MOC-002",
        "error",
        "Magic is not 'MOC3' (a Cubism 2 'moc' file here is reported specially)",
        "Live2DCubismCore; OpenL2D moc3.hexpat",
    ),
    (
        "MOC-003",
        "error",
        "Version byte 0/unknown or above --max-moc-version (runtime Core cannot revive)",
        "Live2DCubismCore.h csmMocVersion_*",
    ),
    (
        "MOC-004",
        "error",
        "Endian flag not 0 (big-endian moc3 is not produced by the Editor)",
        "moc3.hexpat Header.isBigEndian",
    ),
    (
        "MOC-005",
        "error",
        "Section offset points past EOF, or count/canvas/ID sections out of bounds",
        "public moc3 parsers (bounds)",
    ),
    ("MOC-006", "error", "Count table inconsistent (negative, warp+rotation != deformers)", "moc3 count info table"),
    ("MOC-007", "error", "Art mesh texture index >= len(Textures)", "moc3 art mesh textureNos vs model3 Textures"),
    (
        "MOC-008",
        "warning",
        "IDs not NUL-terminated/duplicated or file size not a multiple of 64 (all Editor exports are)",
        "observed on official samples",
    ),
    (
        "MOC-009",
        "info",
        "Structural parse only; full validation needs Core csmHasMocConsistency",
        "CubismMoc.hasMocConsistency; moc3ingbird DoS",
    ),
    ("TEX-001", "error", "Texture is not a readable PNG/JPEG/WebP image", "Image() load in runtime"),
    ("TEX-002", "warning", "Texture is not PNG (Editor exports PNG)", "Cubism Editor export"),
    (
        "TEX-003",
        "warning",
        "Texture not square power-of-two (mipmaps need POT on WebGL1)",
        "lapptexturemanager generateMipmap",
    ),
    (
        "TEX-004",
        "warning",
        "Texture side > 4096 px (mobile MAX_TEXTURE_SIZE is often 4096)",
        "pixi-live2d-display #134, #145",
    ),
    ("TEX-005", "warning", "Texture has no alpha channel", "premultiplied-alpha rendering"),
    (
        "MOT-001",
        "error",
        "Meta or Curves missing / wrong type; Meta lacks Duration, Fps, CurveCount, TotalSegmentCount or "
        "TotalPointCount",
        "CubismSpecs motion3.json.md (required)",
    ),
    ("MOT-002", "warning", "Version missing", "CubismSpecs motion3.json.md"),
    (
        "MOT-003",
        "error",
        "Meta.CurveCount != len(Curves)",
        "CubismMotionJson.hasConsistency; CubismMotion.parse iterates CurveCount",
    ),
    ("MOT-004", "error", "Meta.TotalSegmentCount != recomputed segment count", "CubismMotionJson.hasConsistency"),
    ("MOT-005", "error", "Meta.TotalPointCount != recomputed point count", "CubismMotionJson.hasConsistency"),
    ("MOT-006", "error", "Curve lacks Target/Id/Segments or Segments not numbers", "CubismSpecs curve definition"),
    ("MOT-007", "error", "Curve Target not Model/Parameter/PartOpacity", "CubismMotion.parse TargetName*"),
    (
        "MOT-008",
        "error",
        "Segments malformed: < 1 segment, unknown segment type, or truncated point data",
        "CubismSpecs 'Curves can't be empty'; segment encoding",
    ),
    (
        "MOT-009",
        "warning",
        "Model-target curve Id not Opacity/EyeBlink/LipSync",
        "CubismSpecs; CubismMotion.doUpdateParameters",
    ),
    ("MOT-010", "warning", "Keyframe times decrease within a curve", "curve evaluation assumes sorted points"),
    ("MOT-011", "warning", "Keyframe time beyond Meta.Duration + 1 frame, or Duration/Fps <= 0", "Meta semantics"),
    ("MOT-012", "error", "Meta.UserDataCount != len(UserData)", "CubismMotion.parse allocates events by UserDataCount"),
    (
        "MOT-013",
        "warning",
        "Meta.TotalUserDataSize != sum of UTF-8 byte lengths of UserData Values",
        "CubismSpecs example; official samples",
    ),
    (
        "MOT-014",
        "warning",
        "Fade time (Meta or curve) not a number >= 0",
        "CubismMotion.parse (negative -> 1.0 default)",
    ),
    ("MOT-015", "warning", "Duplicate curve for same Target+Id", "later curve overrides"),
    (
        "MOT-016",
        "info",
        "Meta.Loop true (set in every official export; FW ignores Meta.Loop, looping is an app setting)",
        "CubismMotion.create note l.345; official samples",
    ),
    (
        "EXP-001",
        "warning",
        "Type missing or not 'Live2D Expression' (runtime ignores, spec requires)",
        "CubismSpecs exp3.json.md",
    ),
    (
        "EXP-002",
        "error",
        "Parameters missing/not array, or entry lacks Id string / numeric Value",
        "CubismSpecs (required)",
    ),
    (
        "EXP-003",
        "warning",
        "Blend not Add/Multiply/Overwrite (runtime silently treats as Add)",
        "CubismExpressionMotion.parse",
    ),
    ("EXP-004", "warning", "FadeInTime/FadeOutTime not a number >= 0", "CubismSpecs minimum 0"),
    ("EXP-005", "warning", "Duplicate parameter Id within one expression", "last wins"),
    (
        "PHY-001",
        "error",
        "Meta or PhysicsSettings missing / wrong types; setting lacks Input/Output/Vertices/Normalization",
        "CubismSpecs physics3.json.md",
    ),
    (
        "PHY-002",
        "error",
        "Meta.PhysicsSettingCount != len(PhysicsSettings)",
        "CubismPhysics.parse sizes arrays from Meta",
    ),
    ("PHY-003", "error", "Meta.TotalInputCount != sum(len(Input))", "CubismPhysics.parse"),
    ("PHY-004", "error", "Meta.TotalOutputCount != sum(len(Output))", "CubismPhysics.parse"),
    ("PHY-005", "error", "Meta.VertexCount != sum(len(Vertices))", "CubismPhysics.parse"),
    (
        "PHY-006",
        "error",
        "Input/Output Type not X, Y or Angle (no evaluator assigned -> crash)",
        "CubismPhysics.parse PhysicsTypeTag*",
    ),
    (
        "PHY-007",
        "warning",
        "Output VertexIndex outside 1..len(Vertices)-1 (output silently skipped)",
        "CubismPhysics.evaluate",
    ),
    ("PHY-008", "warning", "Setting has < 2 vertices", "pendulum needs >= 2 particles"),
    (
        "PHY-009",
        "warning",
        "EffectiveForces Gravity/Wind missing; Normalization Min/Default/Max missing or Min > Max; Fps <= 0",
        "CubismSpecs",
    ),
    (
        "PHY-010",
        "warning",
        "PhysicsDictionary missing or does not match PhysicsSettings Ids",
        "CubismSpecs (required in Meta)",
    ),
    ("PHY-011", "warning", "Source/Destination Target not 'Parameter'", "CubismSpecs parameter definition"),
    ("POSE-001", "warning", "Type missing or not 'Live2D Pose'", "CubismSpecs pose3.json.md"),
    ("POSE-002", "error", "Groups missing or not array of arrays of {Id, Link?}", "CubismSpecs pose3.json.md"),
    ("POSE-003", "warning", "FadeInTime not number >= 0 (negative -> 0.5)", "CubismPose.create"),
    ("POSE-004", "warning", "Part listed in more than one pose group / twice", "CubismPose semantics"),
    (
        "CDI-001",
        "warning",
        "Version/ParameterGroups/Parts missing, entries lack Id/GroupId/Name",
        "CubismSpecs cdi3.json.md",
    ),
    ("CDI-002", "warning", "GroupId refers to unknown ParameterGroup", "CubismSpecs cdi3 description"),
    (
        "UD-001",
        "error",
        "Meta/UserData missing or Meta.UserDataCount != len(UserData)",
        "CubismSpecs userdata3.json.md; CubismModelUserData",
    ),
    (
        "UD-002",
        "warning",
        "Meta.TotalUserDataSize != sum of UTF-8 byte lengths; Target != 'ArtMesh'",
        "CubismSpecs userdata3.json.md",
    ),
    (
        "XREF-001",
        "warning",
        "Parameter Id (motion/expression/physics/groups) not in moc3 (runtime silently creates a dummy parameter)",
        "CubismModel.getParameterIndex _notExistParameterId",
    ),
    (
        "XREF-002",
        "warning",
        "Part Id (PartOpacity curve / pose) not in moc3",
        "CubismModel.getPartIndex _notExistPartId",
    ),
    (
        "XREF-003",
        "warning",
        "Drawable Id (HitAreas / userdata3) not in moc3 (hit test never fires)",
        "CubismUserModel.isHit -> getDrawableIndex < 0 -> false",
    ),
    ("XREF-004", "warning", "cdi3 Parameter Id not in moc3", "cdi3 is exported with the moc3"),
    (
        "XREF-005",
        "info",
        "cdi3 Part Id not in moc3 (sketch/guide parts are commonly excluded from export)",
        "observed on official samples",
    ),
    (
        "XREF-006",
        "info",
        "Expression/motion value outside the moc3 parameter [min,max] (Core clamps; usually an authoring slip)",
        "moc3 parameter min/max sections",
    ),
    (
        "C2-001",
        "warning",
        "Cubism 2 model (model.json + .moc): needs the Cubism 2 runtime (live2d.min.js), not Cubism Core",
        "pixi-live2d-display README",
    ),
    (
        "C2-002",
        "error",
        "Cubism 2 model.json lacks 'model' string or non-empty 'textures' string array",
        "pixi Cubism2ModelSettings.isValidJSON",
    ),
    (
        "C2-003",
        "error",
        ".moc does not start with 'moc' + version byte, or lacks 0x88888888 EOF marker",
        "Cubism 2 FileFormat2 (LIVE2D_FORMAT_EOF_VALUE)",
    ),
    (
        "C2-004",
        "error",
        "Cubism 2 model.json entry has the wrong type (physics/pose string; expressions [{name,file}]; "
        "motions {group: [{file}]}; hit_areas [{name,id}])",
        "pixi Cubism2ModelSettings; Cubism 2 model.json format",
    ),
    (
        "C2-005",
        "error",
        ".mtn motion is not Live2D Animator text: no 'ID=v,v,...' lines, a non-numeric value, or $fps <= 0",
        "Cubism 2 Live2DMotion.loadMotion (.mtn text format)",
    ),
    (
        "C2-006",
        "error",
        ".exp.json lacks a 'params' list of {id string, val number}",
        "Cubism 2 L2DExpressionMotion.loadJson",
    ),
    (
        "C2-007",
        "warning",
        ".exp.json calc not set/add/mult, or fade_in/fade_out (ms) not a number >= 0",
        "Cubism 2 L2DExpressionMotion.loadJson (unknown calc falls back to add)",
    ),
    (
        "C2-008",
        "warning",
        "Cubism 2 physics.json lacks a 'physics_hair' list, or pose.json lacks 'parts_visible' [{group: [{id}]}]",
        "Cubism 2 L2DPhysics.load / L2DPose.load (pixi 'Failed to load pose')",
    ),
    (
        "TEX-006",
        "error",
        "Texture declares more pixels than the decompression-bomb limit (not decoded)",
        "Pillow MAX_IMAGE_PIXELS; zip bomb defences",
    ),
    ("ZIP-001", "error", "File is not a readable zip archive", "zipfile"),
    ("ZIP-002", "error", "Zip entry path escapes the extraction folder ('..' zip-slip)", "zip-slip (Snyk 2018)"),
    ("ZIP-003", "error", "Zip entry has an absolute path or drive letter", "zip-slip (Snyk 2018)"),
    ("ZIP-004", "error", "Zip entry is a symbolic link or special file", "zip symlink attacks"),
    ("ZIP-005", "error", "Zip entry is encrypted (artists must send unencrypted archives)", "zipfile flag bit 0"),
    (
        "ZIP-006",
        "error",
        "Zip bomb: too many entries, total uncompressed size or compression ratio above the limits",
        "zip bomb defences",
    ),
    ("ZIP-007", "info", "macOS metadata (__MACOSX/, .DS_Store) or Thumbs.db ignored", "macOS Finder archives"),
    (
        "ZIP-008",
        "error",
        "Two zip entries differ only in letter case (one overwrites the other on Windows/macOS)",
        "case-insensitive file systems",
    ),
    ("ZIP-009", "error", "Two zip entries differ only in Unicode normalisation (NFC vs NFD)", "macOS-created archives"),
    (
        "EMO-001",
        "error",
        "TinyTalk emotion not declared (--emotions): no motion group of that name and no mapping entry",
        "TinyTalk emotions (docs/live2d.md)",
    ),
    (
        "EMO-002",
        "error",
        "Emotion mapping entry cannot be resolved (unknown group, index out of range, unknown expression)",
        "TinyTalk emotions (docs/live2d.md)",
    ),
    (
        "EMO-003",
        "error",
        "tinytalk.emotions.json is not valid JSON or not an object",
        "TinyTalk emotions (docs/live2d.md)",
    ),
    (
        "EMO-004",
        "error",
        "'speaking' cannot lip-sync: no LipSync group with Ids and no mouth parameter in the moc3",
        "TinyTalk lip-sync; CubismModelSettingJson.getLipSyncParameterCount",
    ),
    (
        "EMO-005",
        "info",
        "Emotion mapping found for this model (TinyTalk's seven emotions)",
        "TinyTalk emotions (docs/live2d.md)",
    ),
    (
        "CORE-001",
        "error",
        "Cubism Core crashed, aborted or timed out loading the model or playing an emotion",
        "LIVE2D.md §10 (LoadModelJson aborts the process)",
    ),
    (
        "CORE-002",
        "info",
        "Cubism Core check not run (live2d-py render extra not installed, or the model has static errors)",
        "LIVE2D.md §10",
    ),
    ("CORE-003", "info", "Cubism Core loaded the model and played every emotion", "LIVE2D.md §10"),
)

RULES: dict[str, Rule] = {r[0]: Rule(r[0], r[1], r[2], r[3]) for r in RULE_ROWS}  # type: ignore[arg-type]


def get_rule(rule_id: str) -> Rule:
    """The rule for ``rule_id``; a KeyError here is a programming mistake in the validator."""
    return RULES[rule_id]


def rules_markdown() -> str:
    """The Markdown page ``docs/live2d-rules.md`` (generated; do not edit by hand)."""
    lines = [
        "# Live2D validation rules",
        "",
        "<!-- GENERATED by scripts/gen_live2d_rules.py from live2d_tools/rules.py; do not edit by hand. -->",
        "",
        "Severity: **error** blocks publishing (the model will not load, crashes a runtime, or a file is",
        "unreachable on a case-sensitive CDN); **warning** loads but something silently does nothing or breaks",
        "the official schema (fails only with `--strict`); **info** is context. See docs/live2d.md.",
        "",
        f"{len(RULES)} rules: "
        + ", ".join(f"{sum(r.severity == s for r in RULES.values())} {s}" for s in SEVERITIES)
        + ".",
        "",
        "| id | severity | check | source | ref |",
        "|---|---|---|---|---|",
    ]
    for r in RULES.values():
        title = r.title.replace("|", "\\|")
        lines.append(f"| {r.id} | {r.severity} | {title} | {r.source.replace('|', '/')} | {r.ref} |")
    return "\n".join(lines) + "\n"
