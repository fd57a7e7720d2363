#!/usr/bin/env bash
# Rebuilds the bad-input corpus in this folder. Deterministic: the same
# bytes on every run (gzip -n leaves out the name and time; garbage.bin comes
# from Python's Mersenne Twister seeded with 7). README.md says what each file
# is and what storeload must do with it.
#
#   bash tests/data/bad/make.sh
#
# The 5 MB-field file is not generated here: tests build it at run time (see
# README.md).
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C

SAMPLES=../../../samples

HEADER='Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags'
# Three valid rows (for BigCommerce, Salesive and bitbybit alike).
ROW1='6123456789001,Zoë,Müller,zoe.muller@example.com,yes,,Torstraße 12,,Berlin,,DE,10119,,+49 30 1234567,no,1240.50,7,,no,"vip, wholesale"'
ROW2='6123456789002,José,García,jose.garcia@example.org,yes,"García, Hijos y Compañía S.L.",Calle de Alcalá 45,2º izq.,Madrid,M,ES,28014,,+34 612 555 014,yes,389.00,3,,no,wholesale'
ROW3='6123456789003,Ngozi,Okonkwo,ngozi.okonkwo@example.com,no,,12 Awolowo Road,Ikoyi,Lagos,LA,NG,101233,,+234 803 555 0101,no,57.20,1,,no,'

# unbalanced_quote.csv: the Note of line 3 opens a quote that is never closed
# (no later line holds a `"`), so every later byte belongs to that field.
{
  printf '%s\n' "$HEADER" "$ROW1"
  printf '%s\n' '6123456789004,Søren,Jørgensen,soren.jorgensen@example.org,no,,Nørrebrogade 20,,København N,,DK,2200,,+45 32 55 01 00,no,0.00,0,"Call before delivery, gate code 12,no,'
  printf '%s\n' "$ROW3"
  printf '%s\n' '6123456789008,Siobhán,O'"'"'Brien,siobhan.obrien@example.com,yes,,221B Baker Street,,London,,GB,NW1 6XE,,+44 7700 900018,yes,76.99,2,,no,newsletter'
} > unbalanced_quote.csv

# invalid_utf8.csv: bytes 0xff 0xfe inside the First Name of line 3.
{
  printf '%s\n' "$HEADER" "$ROW1"
  printf '6123456789005,Zo\xff\xfe,Becker,zoe.becker@example.com,no,,Hauptstraße 1,,Köln,,DE,50667,,,no,0.00,0,,no,\n'
  printf '%s\n' "$ROW2"
} > invalid_utf8.csv

# nul_bytes.csv: four NUL bytes before the header, as a half-written or
# pre-allocated file has.
{
  printf '\0\0\0\0'
  printf '%s\n' "$HEADER" "$ROW1"
} > nul_bytes.csv

# empty.csv: zero bytes.
: > empty.csv

# header_only.csv: the Shopify header and nothing else.
printf '%s\n' "$HEADER" > header_only.csv

# duplicate_header.csv: Email twice (a 21st column).
{
  printf '%s\n' "$HEADER,Email"
  printf '%s\n' "$ROW1,zoe@example.net"
  printf '%s\n' "$ROW2,jose@example.net"
} > duplicate_header.csv

# wrong_field_count.csv: line 3 has 21 fields, line 5 has 19.
{
  printf '%s\n' "$HEADER" "$ROW1"
  printf '%s\n' '6123456789006,Chloé,Lefèvre,chloe.lefevre@example.com,yes,,21 quai Saint-Antoine,,Lyon,,FR,69002,,,no,64.00,1,,no,newsletter,EXTRA'
  printf '%s\n' "$ROW2"
  printf '%s\n' '6123456789007,Björn,Andersson,bjorn.andersson@example.org,no,,Drottninggatan 53,,Stockholm,,SE,111 21,,,no,845.00,5,,no'
  printf '%s\n' "$ROW3"
} > wrong_field_count.csv

# JSONL pieces (generic snake_case names, nested addresses).
J1='{"email": "zoe.muller@example.com", "first_name": "Zoë", "last_name": "Müller", "phone": "+49 30 1234567", "tags": ["vip", "wholesale"], "accepts_marketing": true, "addresses": [{"address1": "Torstraße 12", "city": "Berlin", "country_code": "DE", "zip": "10119", "default": true}]}'
J2='{"email": "jose.garcia@example.org", "first_name": "José", "last_name": "García", "company": "García, Hijos y Compañía S.L.", "tags": ["wholesale"], "accepts_marketing": true, "addresses": [{"address1": "Calle de Alcalá 45", "city": "Madrid", "province": "Madrid", "country": "Spain", "country_code": "ES", "zip": "28014", "default": true}]}'
J3='{"email": "ngozi.okonkwo@example.com", "first_name": "Ngozi", "last_name": "Okonkwo", "notes": "Line one\nline two", "tags": [], "accepts_marketing": false, "addresses": [{"address1": "12 Awolowo Road", "city": "Lagos", "country_code": "NG", "zip": "101233", "default": true}]}'

# array.json / array.jsonl: a pretty-printed JSON array of the three customers
# instead of one object per line (same bytes under both names).
python3 - "$J1" "$J2" "$J3" > array.json <<'PY'
import json, sys
print(json.dumps([json.loads(a) for a in sys.argv[1:]], ensure_ascii=False, indent=2))
PY
cp array.json array.jsonl

# empty_array.json: an empty JSON array (DECISIONS.md: 0 records, exit 0).
printf '[]\n' > empty_array.json

# truncated_last_line.jsonl: three good lines, the fourth cut mid-object
# with no newline.
{
  printf '%s\n' "$J1" "$J2" "$J3"
  printf '%s' '{"email": "tru.cated@example.com", "first_name": "Tru", "last_name": "Cated", "addresses": [{"address1": "1 Half'
} > truncated_last_line.jsonl

# not_object.jsonl: line 2 is a JSON string, line 4 a JSON number.
{
  printf '%s\n' "$J1"
  printf '%s\n' '"customer: ann@example.com"'
  printf '%s\n' "$J2"
  printf '%s\n' '42'
  printf '%s\n' "$J3"
} > not_object.jsonl

# garbage.bin: 4096 pseudo-random bytes, seed 7.
python3 - > garbage.bin <<'PY'
import random, sys
rng = random.Random(7)
sys.stdout.buffer.write(bytes(rng.getrandbits(8) for _ in range(4096)))
PY

# The three valid customers in other dialects. Line 3's Note holds a `;`, a
# comma and a newline (a bare LF inside the quotes, as Excel writes a line
# break in a cell).
python3 - <<'PY'
import csv, io
header = """Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags""".split(",")
rows = [
    ["6123456789001", "Zoë", "Müller", "zoe.muller@example.com", "yes", "", "Torstraße 12", "", "Berlin", "", "DE", "10119", "", "+49 30 1234567", "no", "1240.50", "7", "", "no", "vip, wholesale"],
    ["6123456789002", "José", "García", "jose.garcia@example.org", "yes", "García; Hijos y Compañía, S.L.", "Calle de Alcalá 45", "2º izq.", "Madrid", "M", "ES", "28014", "", "+34 612 555 014", "yes", "389.00", "3", "Entrega: lunes; martes no.\nLlamar antes, por favor.", "no", "wholesale"],
    ["6123456789003", "Ngozi", "Okonkwo", "ngozi.okonkwo@example.com", "no", "", "12 Awolowo Road", "Ikoyi", "Lagos", "LA", "NG", "101233", "", "+234 803 555 0101", "no", "57.20", "1", "", "no", ""],
]
def write(name, delimiter, terminator, bom=False):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator=terminator)
    w.writerow(header)
    w.writerows(rows)
    with open(name, "wb") as f:
        f.write((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
write("bom_crlf_semicolon.csv", ";", "\r\n", bom=True)
write("tab.tsv", "\t", "\n")
write("pipe.csv", "|", "\n")
PY

# customers.csv.gz and gz_without_suffix: samples/customers.csv gzipped.
gzip -9 -n -c "$SAMPLES/customers.csv" > customers.csv.gz
cp customers.csv.gz gz_without_suffix
