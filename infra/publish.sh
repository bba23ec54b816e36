#!/usr/bin/env bash
# Lays out what the Azure Functions host expects and zips it for `az functionapp deployment source config-zip`:
#   <root>/host.json
#   <root>/<FunctionName>/function.json          one folder per functions/<FunctionName>
#   <root>/<customHandler.description.defaultExecutablePath>   the self-contained linux-x64 handler (+ data/)
# Usage: infra/publish.sh [--out DIR] [--version V]
#   Writes DIR/site/ (the layout) and DIR/gateway-<V>.zip. DIR defaults to artifacts/, V to `git describe`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/artifacts"
VERSION=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --version) VERSION="$2"; shift 2 ;;
    *) echo "publish: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$VERSION" ]; then
  VERSION="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || date -u +%Y%m%d%H%M%S)"
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SITE="$OUT/site"
rm -rf "$SITE"; mkdir -p "$SITE"

# The handler's folder comes from host.json, so moving it there is the only change needed.
read -r EXE WORKDIR < <(python3 - "$ROOT/host.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["customHandler"]["description"]
print(d["defaultExecutablePath"], d.get("workingDirectory", ""))
PY
)
HANDLER_DIR="$SITE/$(dirname "$EXE")"

# Its own artifacts path keeps the linux-x64 restore out of the developers' obj/ folders.
# Self-contained: the Functions Linux image has no .NET 10 runtime for a custom handler to borrow.
dotnet publish "$ROOT/src/Gateway.Handler/Gateway.Handler.csproj" -c Release -r linux-x64 --self-contained \
  -p:PublishReadyToRun=false -p:DebugType=none --artifacts-path "$OUT/.build" -o "$HANDLER_DIR" -nologo -v q >&2

cp "$ROOT/host.json" "$SITE/host.json"
for f in "$ROOT"/functions/*/function.json; do
  name="$(basename "$(dirname "$f")")"
  mkdir -p "$SITE/$name"; cp "$f" "$SITE/$name/function.json"
done
chmod 755 "$SITE/$EXE"

# zip(1) may be absent; Python's zipfile keeps the Unix mode so the handler stays executable after run-from-package.
ZIP="$OUT/gateway-$VERSION.zip"
python3 - "$SITE" "$ZIP" <<'PY'
import os, sys, zipfile
site, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for d, dirs, files in os.walk(site):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            info = zipfile.ZipInfo.from_file(p, os.path.relpath(p, site))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(p, "rb") as fh: z.writestr(info, fh.read())
os.replace(out + ".tmp", out)
PY
echo "$ZIP"
