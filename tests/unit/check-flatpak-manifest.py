#!/usr/bin/env python3
"""Checks the Flatpak manifest without building it: valid JSON, the modules the app needs (a module for every
library a meson.build asks for that the GNOME runtime lacks), and config options that exist in meson_options.txt
with values of the right kind."""
import json
import os
import re
import sys

# pkg-config names the org.gnome.Platform//43 runtime (and its SDK) provides.
RUNTIME = {"glib-2.0", "gio-2.0", "gio-unix-2.0", "json-glib-1.0", "libsoup-3.0", "sqlite3", "libcrypto",
           "libssl", "cairo", "cairo-pdf", "pangocairo", "zlib", "gtk4", "libadwaita-1"}
# The manifest's module that builds each other library.
MODULE_FOR = {"libgps": "gpsd", "shumate-1.0": "libshumate", "libdivsufsort": "libdivsufsort",
              "libarchive": "libarchive", "libmosquitto": "mosquitto", "libubootenv": "libubootenv",
              "libcoap-3-openssl": "libcoap"}

manifest_path, options_path = sys.argv[1], sys.argv[2]
errors = []

with open(manifest_path, encoding="utf-8") as f:
    manifest = json.load(f)

options = {}
with open(options_path, encoding="utf-8") as f:
    text = f.read()
for match in re.finditer(r"option\(\s*'([^']+)'\s*,\s*type\s*:\s*'([^']+)'", text):
    options[match.group(1)] = match.group(2)

if manifest.get("id") != "org.fieldflash.Fieldflash":
    errors.append("id is not org.fieldflash.Fieldflash")
if manifest.get("runtime") != "org.gnome.Platform":
    errors.append("runtime is not org.gnome.Platform")
for arg in ("--share=network", "--socket=wayland", "--socket=fallback-x11"):
    if arg not in manifest.get("finish-args", []):
        errors.append(f"finish-args lacks {arg}")

modules = {m["name"]: m for m in manifest.get("modules", [])}
source_root = os.path.dirname(os.path.abspath(options_path))
required = set()
for top, dirs, files in os.walk(source_root):
    dirs[:] = [d for d in dirs if not d.startswith(("_build", ".", "build-aux", "flatpak"))]
    if "meson.build" in files:
        with open(os.path.join(top, "meson.build"), encoding="utf-8") as f:
            required.update(re.findall(r"\bdependency\(\s*'([^']+)'", f.read()))
for name in sorted(required - RUNTIME):
    if name not in MODULE_FOR:
        errors.append(f"meson asks for {name}: add a module for it (and to MODULE_FOR in {sys.argv[0]})")
needed_modules = [MODULE_FOR[name] for name in sorted(required - RUNTIME) if name in MODULE_FOR]
for needed in needed_modules + ["fieldflash"]:
    if needed not in modules:
        errors.append(f"module {needed} is missing")
if list(modules)[-1:] != ["fieldflash"]:
    errors.append("fieldflash must be the last module (it links the others)")

app = modules.get("fieldflash", {})
if app.get("buildsystem") != "meson":
    errors.append("fieldflash is not built with meson")
if app.get("run-tests") is not True:
    errors.append("fieldflash does not set run-tests: true")
values = {"boolean": {"true", "false"}, "feature": {"enabled", "disabled", "auto"}}
for opt in app.get("config-opts", []):
    m = re.fullmatch(r"-D([A-Za-z0-9_]+)=(.*)", opt)
    if not m:
        errors.append(f"config option {opt!r} is not of the form -Dname=value")
        continue
    name, value = m.groups()
    if name not in options:
        errors.append(f"config option {name} is not in meson_options.txt")
    elif options[name] in values and value not in values[options[name]]:
        errors.append(f"config option {name}={value} is not a valid {options[name]}")

for module in manifest.get("modules", []):
    for source in module.get("sources", []):
        if source.get("type") == "archive" and not re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")):
            errors.append(f"module {module['name']}: archive source without a sha256")

for e in errors:
    print("flatpak manifest:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
