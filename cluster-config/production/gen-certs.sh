#!/bin/sh
# Makes the certificates of a Kiln cluster with OpenSSL, into DIR:
#   cluster-ca.{crt,key}  the CA of the nodes (keep its key offline)
#   HOST.{crt,key}        per node: CN and SAN kiln.NAME (every node shares it: Pekko lets in
#                         only a peer whose certificate shares a subject name with its own),
#                         and the node's host (the data plane checks it as HTTPS does)
#   api-ca.{crt,key}      the CA of the API's clients; api.{crt,key} the daemons' API
#                         certificate (every host), client.{crt,key} one client's
# Keys are PKCS#8, as Kiln reads them. Usage: gen-certs.sh DIR NAME HOST [HOST...]
set -eu
if [ $# -lt 3 ]; then
  echo "usage: $0 DIR CLUSTER-NAME HOST [HOST...]" >&2
  exit 2
fi
dir=$1
name=$2
shift 2
mkdir -p "$dir"
cd "$dir"

san_of() {
  case "$1" in
  *[!0-9.]*) echo "DNS:$1" ;;
  *) echo "IP:$1" ;;
  esac
}

ca() { # NAME
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.crt" 2>/dev/null
}

cert() { # FILE CN SAN CA
  openssl req -newkey rsa:3072 -nodes -subj "/CN=$2" -keyout "$1.key.tmp" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$4.crt" -CAkey "$4.key" -CAcreateserial -days 825 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$1.key.tmp" -out "$1.key"
  rm -f "$1.key.tmp" "$1.csr" "$1.ext"
  chmod 600 "$1.key"
}

ca cluster-ca
ca api-ca
api_sans=""
for host in "$@"; do
  cert "$host" "kiln.$name" "DNS:kiln.$name,$(san_of "$host")" cluster-ca
  api_sans="$api_sans,$(san_of "$host")"
done
cert api "kiln-api.$name" "${api_sans#,}" api-ca
cert client "kiln-client" "DNS:kiln-client" api-ca
chmod 600 cluster-ca.key api-ca.key
echo "certificates for cluster $name in $dir"
