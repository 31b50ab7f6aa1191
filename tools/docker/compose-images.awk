# Prints one line per docker-compose.yml service: "<image> <profile> <profile>…" (an anchored
# profile list prints as *name). Used by base-images.sh to tell which images the e2e run needs.
function flush() { if (svc != "" && img != "") print img, prof; svc = ""; img = ""; prof = "" }
/^[a-z]/ { flush(); top = $1; next }
top == "services:" && /^  [a-z0-9-]+:$/ { flush(); svc = $1; inprof = 0; next }
svc != "" && /^    image: / { img = $2; next }
svc != "" && /^    profiles: *\*/ { prof = prof " " $2; next }
svc != "" && /^    profiles:$/ { inprof = 1; next }
inprof && /^      - / { prof = prof " " $2; next }
inprof { inprof = 0 }
END { flush() }
