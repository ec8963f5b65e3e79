#!/bin/sh
# kiln-frontend: an example gateway frontend (docs/gateway.md), in POSIX shell with busybox
# applets only (dd, od, wc, base64, awk, printf). Kiln runs it as its image's entrypoint; it reads
# the build file (a "Kilnfile") through the gateway API and answers with a build definition
# (docs/definition.md, named form).
#
# The Kilnfile format
#   - One step per line:            NAME [after DEP[,DEP...]]: COMMAND
#   - NAME and DEP: letters, digits, '_', '.', '-' (not starting with '.' or '-'); unique names.
#   - The first ':' ends the header: COMMAND is the rest of the line (trimmed, not empty, may hold
#     more colons, quotes, '>', '&', '#'...). It runs as `sh -c COMMAND` as root in / with
#     PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin, in this frontend's own
#     image (busybox), without the build context (nothing of it is mounted).
#   - `after a,b` (spaces around the commas are fine): the step runs on the merge of a's and b's
#     results (stacked in that order: where both wrote a path, b's wins, and b's copy of the image
#     lies over a's), so it sees the files they wrote. A dependency must be defined on an earlier
#     line, so there are no cycles. A step without `after` starts from the image; steps that do
#     not depend on each other run in parallel.
#   - Blank lines and lines starting with '#' (after optional blanks) are comments, e.g. the
#     `# syntax=kiln-frontend` line that selects this frontend. A trailing CR (CRLF files) is
#     dropped. There are no continuation lines.
#   - The result: the steps no other step depends on are merged (in file order), and everything
#     under /out there is the build's result (a step must create /out: the copy fails otherwise).
#   - A bad line fails the build with `Kilnfile:LINE: what is wrong` (no colon, a bad name, a
#     duplicate name, an unknown or later-defined or repeated dependency, an empty command); a file
#     without steps with `Kilnfile: no steps`.
#
# The conversation: Kiln's hello (opts.filename names the build file, default "Kilnfile", read
# from the "dockerfile" input by its base name; "frontend" is this image's source identifier, the
# steps' base), our hello, read-file (id 1), solve (id 2), return. An error answer, a bad Kilnfile
# or a malformed message is returned as the build's error ({"type":"return","error":...}), then the
# script exits 0; it exits 1 only when it cannot return (Kiln closed the pipe, or sent no hello).

set -u

# fd 3: our requests (the original stdout); fd 4: Kiln's answers (the original stdin). Plain stdout
# goes to the log (stderr) and stdin is empty (closed without /dev/null), so that no command can
# disturb the conversation.
exec 3>&1 1>&2 4<&0
if [ -r /dev/null ]; then exec 0</dev/null; else exec 0<&-; fi

STEP_PATH='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
MAX_FRAME=16777216

log() { printf 'kiln-frontend: %s\n' "$*" >&2; }

# awk functions shared by the programs below: esc(v) escapes v for a JSON string, and a reader for
# one JSON object (jstr, jvalue, jws over the globals s and p).
AWK_LIB='
function esc_init(   i) {
  for (i = 1; i < 32; i++) ESC_MAP[sprintf("%c", i)] = sprintf("\\u%04x", i)
  ESC_MAP["\t"] = "\\t"; ESC_MAP["\n"] = "\\n"; ESC_MAP["\r"] = "\\r"
  ESC_MAP["\""] = "\\\""; ESC_MAP["\\"] = "\\\\"
  ESC_READY = 1
}
function esc(v,   n, i, out, ch) {
  if (!ESC_READY) esc_init()
  n = split(v, ch, "")
  out = ""
  for (i = 1; i <= n; i++) out = out ((ch[i] in ESC_MAP) ? ESC_MAP[ch[i]] : ch[i])
  return out
}
function jfail(why) { print "malformed JSON from Kiln: " why > "/dev/stderr"; exit 2 }
function jws() { while (p <= length(s) && index(" \t\r\n", substr(s, p, 1))) p++ }
function jhex(h,   i, v) {
  v = 0
  for (i = 1; i <= 4; i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
  return v
}
function jutf8(c) {
  if (c < 128) return sprintf("%c", c)
  if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
  if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
  return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64, 128 + int(c / 64) % 64, 128 + c % 64)
}
# The string starting at p (a quote), unescaped; p ends after its closing quote.
function jstr(   out, rest, k, c, h, l) {
  p++
  out = ""
  while (1) {
    rest = substr(s, p)
    k = match(rest, /["\\]/)
    if (k == 0) jfail("unterminated string")
    out = out substr(rest, 1, k - 1)
    c = substr(rest, k, 1)
    p += k
    if (c == "\"") return out
    c = substr(s, p, 1)
    p++
    if (c == "n") out = out "\n"
    else if (c == "t") out = out "\t"
    else if (c == "r") out = out "\r"
    else if (c == "b") out = out "\b"
    else if (c == "f") out = out "\f"
    else if (c == "u") {
      h = jhex(substr(s, p, 4))
      p += 4
      if (h >= 55296 && h < 56320 && substr(s, p, 2) == "\\u") {
        l = jhex(substr(s, p + 2, 4))
        if (l >= 56320 && l < 57344) { h = 65536 + (h - 55296) * 1024 + (l - 56320); p += 6 }
      }
      out = out jutf8(h)
    } else out = out c
  }
}
# The value at p: a string unescaped, anything else as its JSON text; p ends after it.
function jvalue(   c, d, start, rest, k) {
  jws()
  c = substr(s, p, 1)
  if (c == "\"") return jstr()
  if (c == "{" || c == "[") {
    start = p
    d = 0
    while (1) {
      rest = substr(s, p)
      k = match(rest, /[][{}"]/)
      if (k == 0) jfail("unterminated object or array")
      p += k - 1
      c = substr(s, p, 1)
      if (c == "\"") { jstr(); continue }
      p++
      if (c == "{" || c == "[") d++
      else d--
      if (d == 0) return substr(s, start, p - start)
    }
  }
  rest = substr(s, p)
  if (!match(rest, /^[^],} \t\r\n]+/)) jfail("expected a value")
  p += RLENGTH
  return substr(rest, 1, RLENGTH)
}
'

# json_get KEY < OBJECT: prints the value of OBJECT's top-level KEY (a string unescaped, anything
# else as JSON text); status 1 when OBJECT has no KEY, 2 when OBJECT is malformed.
json_get() {
  JSON_KEY=$1 awk "$AWK_LIB"'
{ s = s $0 "\n" }
END {
  want = ENVIRON["JSON_KEY"]
  p = 1
  jws()
  if (substr(s, p, 1) != "{") jfail("not an object")
  p++
  jws()
  if (substr(s, p, 1) == "}") exit 1
  while (1) {
    jws()
    if (substr(s, p, 1) != "\"") jfail("expected a key")
    key = jstr()
    jws()
    if (substr(s, p, 1) != ":") jfail("expected a colon after \"" key "\"")
    p++
    v = jvalue()
    if (key == want) { printf "%s", v; exit 0 }
    jws()
    c = substr(s, p, 1)
    p++
    if (c == "}") exit 1
    if (c != ",") jfail("expected a comma or the end of the object")
  }
}'
}

# get KEY: json_get on the last message received ($msg).
get() { printf '%s' "$msg" | json_get "$1"; }

# json_quote TEXT: TEXT as a JSON string, quotes included.
json_quote() {
  printf '%s' "$1" | awk "$AWK_LIB"'
{ s = (NR > 1 ? s "\n" : "") $0 }
END { printf "\"%s\"", esc(s) }'
}

# send JSON: one frame to Kiln: the length (4 bytes, big-endian), then the bytes.
send() {
  send_n=$(printf '%s' "$1" | wc -c)
  send_n=$((send_n))
  printf "\\$(printf %03o $((send_n >> 24 & 255)))\\$(printf %03o $((send_n >> 16 & 255)))\\$(printf %03o $((send_n >> 8 & 255)))\\$(printf %03o $((send_n & 255)))" >&3
  printf '%s' "$1" >&3
}

# recv: reads one frame from Kiln into $msg. Status 1 at the end of the input (or in a cut frame),
# 2 when the frame is malformed.
recv() {
  recv_hdr=$(dd bs=4 count=1 iflag=fullblock 2>&- <&4 | od -An -tu1)
  set -- $recv_hdr
  [ $# -eq 4 ] || return 1
  recv_n=$(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 ))
  if [ "$recv_n" -eq 0 ] || [ "$recv_n" -gt "$MAX_FRAME" ]; then
    log "Kiln sent a frame of $recv_n bytes (1 to $MAX_FRAME expected)"
    return 2
  fi
  # dd with iflag=fullblock reads exactly the frame (head -c could read ahead into the next one);
  # the "." keeps a trailing newline from being stripped, so that the length check holds. (dd's
  # statistics go to a closed stderr: nothing here needs /dev/null.)
  msg=$(dd bs="$recv_n" count=1 iflag=fullblock 2>&- <&4; echo .)
  msg=${msg%.}
  recv_got=$(printf '%s' "$msg" | wc -c)
  [ "$((recv_got))" -eq "$recv_n" ] || return 1
  return 0
}

# fail MESSAGE: returns MESSAGE to Kiln as the build's error and exits.
fail() {
  log "error: $1"
  send "{\"type\":\"return\",\"error\":$(json_quote "$1")}"
  exit 0
}

# await ID: receives messages until the answer to request ID (into $msg, its type in $type).
# Answers to other ids are logged and skipped; an error without an id is taken as ours.
await() {
  while :; do
    recv
    case $? in
      0) ;;
      1) log "Kiln closed the conversation while request $1 was waiting"; exit 1 ;;
      *) fail "Kiln sent a malformed frame while request $1 was waiting" ;;
    esac
    type=$(get type) || fail "Kiln sent a message without a type (or malformed JSON) while request $1 was waiting"
    if await_id=$(get id); then
      [ "$await_id" = "$1" ] && return 0
      log "skipping a \"$type\" message for request $await_id (waiting for $1)"
    elif [ "$type" = error ]; then
      return 0
    else
      log "skipping a \"$type\" message without an id (waiting for $1)"
    fi
  done
}

# error_text: the message of the error answer in $msg, with the failed vertex if named.
error_text() {
  error_message=$(get message) || error_message='(no message)'
  if error_vertex=$(get vertex) && [ -n "$error_vertex" ]; then
    error_message="$error_message (vertex $error_vertex)"
  fi
  printf '%s' "$error_message"
}

# The Kilnfile on stdin -> the definition (named form) on stdout, or `FILE:LINE: why` and status 1.
# ENVIRON: FILE (the name in messages), BASE (the steps' base image), STEP_PATH (the steps' env).
COMPILE='
function die(line, why) { printf "%s:%d: %s", ENVIRON["FILE"], line, why; exit 1 }
function trim(v) { sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); return v }
function validname(v) { return v ~ /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/ }
# Splits line i into the globals name, after (1 when the header has `after`), deps (the text after
# it), cmd; returns "" or why the line is wrong.
function parse(i,   t, c, head, nw, w, k) {
  t = trim(lines[i])
  c = index(t, ":")
  if (c == 0) return "expected NAME [after DEP[,DEP...]]: COMMAND, found no colon"
  head = trim(substr(t, 1, c - 1))
  cmd = trim(substr(t, c + 1))
  if (head == "") return "no step name before the colon"
  nw = split(head, w, /[ \t]+/)
  name = w[1]
  if (!validname(name)) return "bad step name \"" name "\" (letters, digits, _ . - only, not starting with . or -)"
  after = 0
  deps = ""
  if (nw > 1) {
    if (w[2] != "after") return "expected `after` or a colon after the step name \"" name "\", found \"" w[2] "\""
    if (nw == 2) return "`after` names no step"
    after = 1
    for (k = 3; k <= nw; k++) deps = deps (k > 3 ? " " : "") w[k]
  }
  return ""
}
{ sub(/\r$/, ""); lines[NR] = $0 }
END {
  # First pass: where each name is first defined, to tell an unknown step from a later one.
  for (i = 1; i <= NR; i++) {
    t = trim(lines[i])
    if (t == "" || substr(t, 1, 1) == "#") continue
    if (parse(i) == "" && !(name in firstline)) firstline[name] = i
  }
  n = 0
  for (i = 1; i <= NR; i++) {
    t = trim(lines[i])
    if (t == "" || substr(t, 1, 1) == "#") continue
    why = parse(i)
    if (why != "") die(i, why)
    if (name in line) die(i, "step \"" name "\" is already defined at line " line[name])
    if (cmd == "") die(i, "step \"" name "\" has no command")
    n++
    names[n] = name
    line[name] = i
    cmds[n] = cmd
    ndeps[n] = 0
    if (after) {
      nd = split(deps, d, ",")
      for (k = 1; k <= nd; k++) {
        dep = trim(d[k])
        if (dep == "") die(i, "an empty step name in the `after` list")
        if (!validname(dep)) die(i, "bad step name \"" dep "\" in the `after` list (separate steps with commas)")
        if (dep == name) die(i, "step \"" name "\" depends on itself")
        if (!(dep in line)) {
          if (dep in firstline) die(i, "step \"" name "\" depends on \"" dep "\", defined later (line " firstline[dep] "): a step may only depend on steps above it")
          die(i, "step \"" name "\" depends on \"" dep "\", which is not defined")
        }
        for (j = 1; j <= ndeps[n]; j++)
          if (dep_of[n, j] == dep) die(i, "step \"" dep "\" is listed twice in the `after` list")
        ndeps[n]++
        dep_of[n, ndeps[n]] = dep
        used[dep] = 1
      }
    }
  }
  if (n == 0) { printf "%s: no steps (expected lines NAME [after DEP[,DEP...]]: COMMAND)", ENVIRON["FILE"]; exit 1 }

  printf "{\"vertices\":[\n"
  printf "{\"id\":\"base\",\"op\":{\"type\":\"source\",\"identifier\":\"%s\"},\"meta\":{\"description\":\"[base] the frontend image\"}}", esc(ENVIRON["BASE"])
  for (k = 1; k <= n; k++) {
    if (ndeps[k] == 0) input = "base"
    else if (ndeps[k] == 1) input = "step-" dep_of[k, 1]
    else {
      input = "deps-" names[k]
      ins = ""
      list = ""
      for (j = 1; j <= ndeps[k]; j++) {
        ins = ins (j > 1 ? "," : "") "{\"vertex\":\"step-" dep_of[k, j] "\",\"output\":0}"
        list = list (j > 1 ? ", " : "") dep_of[k, j]
      }
      printf ",\n{\"id\":\"%s\",\"op\":{\"type\":\"merge\"},\"inputs\":[%s],\"meta\":{\"description\":\"%s\"}}", input, ins, esc(names[k] ": merge " list)
    }
    printf ",\n{\"id\":\"step-%s\",\"op\":{\"type\":\"exec\",\"args\":[\"sh\",\"-c\",\"%s\"],\"env\":[\"%s\"],\"cwd\":\"/\"},\"inputs\":[{\"vertex\":\"%s\",\"output\":0}],\"meta\":{\"description\":\"%s\"}}", names[k], esc(cmds[k]), esc(ENVIRON["STEP_PATH"]), input, esc(names[k] ": " cmds[k])
  }
  nl = 0
  for (k = 1; k <= n; k++) if (!(names[k] in used)) { nl++; leaves[nl] = names[k] }
  if (nl == 1) top = "step-" leaves[1]
  else {
    top = "leaves"
    ins = ""
    list = ""
    for (j = 1; j <= nl; j++) {
      ins = ins (j > 1 ? "," : "") "{\"vertex\":\"step-" leaves[j] "\",\"output\":0}"
      list = list (j > 1 ? ", " : "") leaves[j]
    }
    printf ",\n{\"id\":\"leaves\",\"op\":{\"type\":\"merge\"},\"inputs\":[%s],\"meta\":{\"description\":\"%s\"}}", ins, esc("[result] merge " list)
  }
  printf ",\n{\"id\":\"scratch\",\"op\":{\"type\":\"source\",\"identifier\":\"scratch\"}}"
  printf ",\n{\"id\":\"result\",\"op\":{\"type\":\"file\",\"actions\":[{\"action\":\"copy\",\"input\":1,\"src\":\"/out\",\"dest\":\"/\",\"dirContentsOnly\":true,\"createDestPath\":true}]},\"inputs\":[{\"vertex\":\"scratch\",\"output\":0},{\"vertex\":\"%s\",\"output\":0}],\"meta\":{\"description\":\"[result] copy /out\"}}", top
  printf "\n],\"root\":{\"vertex\":\"result\",\"output\":0}}\n"
}'

# --- The conversation ---------------------------------------------------------------------------

recv
case $? in
  0) ;;
  1) log "no hello from Kiln (its input ended)"; exit 1 ;;
  *) log "no hello from Kiln (a malformed frame)"; exit 1 ;;
esac
type=$(get type) || type=
if [ "$type" != hello ]; then
  log "expected Kiln's hello, got a \"$type\" message"
  exit 1
fi
send '{"type":"hello","version":1}'

kiln_version=$(get version) || kiln_version=
case $kiln_version in
  '' | *[!0-9]*) fail "Kiln's hello has no usable version (\"$kiln_version\"); this frontend speaks version 1" ;;
esac
[ "$kiln_version" -ge 1 ] || fail "Kiln speaks gateway API version $kiln_version; this frontend speaks version 1"
frontend=$(get frontend) || frontend=
[ -n "$frontend" ] || fail "Kiln's hello names no \"frontend\" (this frontend's image, the steps' base)"
opts=$(get opts) || opts='{}'
filename=$(printf '%s' "$opts" | json_get filename) || filename=
[ -n "$filename" ] || filename=Kilnfile
# The "dockerfile" input is the build file's directory: read the file there by its base name.
path=${filename##*/}
[ -n "$path" ] || fail "opts.filename \"$filename\" names no file"
log "reading $path (frontend image $frontend)"

send "{\"type\":\"read-file\",\"id\":1,\"ref\":\"dockerfile\",\"path\":$(json_quote "$path")}"
await 1
case $type in
  file) ;;
  error)
    why=$(error_text)
    log "Kiln could not read $path: $why"
    fail "$path: cannot read it: $why"
    ;;
  *) fail "Kiln answered read-file with a \"$type\" message" ;;
esac
data=$(get data) || data=
text=$(printf '%s' "$data" | base64 -d) || fail "$path: Kiln sent bad base64 data"

definition=$(printf '%s\n' "$text" | FILE=$path BASE=$frontend STEP_PATH=$STEP_PATH awk "$AWK_LIB$COMPILE")
if [ $? -ne 0 ]; then
  [ -n "$definition" ] || definition="$path: the frontend could not read it (awk failed)"
  fail "$definition"
fi
log "solving the definition of $path"

send "{\"type\":\"solve\",\"id\":2,\"definition\":$definition}"
await 2
case $type in
  solved) ;;
  error)
    why=$(error_text)
    log "Kiln refused the definition: $why"
    fail "$path: $why"
    ;;
  *) fail "Kiln answered solve with a \"$type\" message" ;;
esac
ref=$(get ref) || fail "Kiln's solved answer has no ref"
log "returning $ref"
send "{\"type\":\"return\",\"ref\":$(json_quote "$ref")}"
exit 0
