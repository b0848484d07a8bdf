set -e
# 1: inet filter, default drop, lo + established accept, tcp 22 + 8080 accept, iifname eth-only rule for 9000
nft -f - <<'NFT'
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" accept
    ct state vmap { established : accept, related : accept, invalid : drop }
    tcp dport { 22, 8080 } accept
    iifname "wlan0" tcp dport 9000 accept
    ip saddr 192.168.1.0/24 tcp dport 5432 accept
    udp dport 5353 accept
    counter reject with icmpx type port-unreachable
  }
  chain forward { type filter hook forward priority filter; policy drop; }
}
NFT
nft -j list ruleset > nft_default_drop.json
nft list ruleset > nft_default_drop.txt
nft flush ruleset
# 2: iptables (nf_tables backend) with default DROP
iptables -P INPUT DROP
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
iptables -A INPUT -p tcp -m multiport --dports 80,443,8000:8100 -j ACCEPT
iptables -A INPUT -s 10.0.0.0/8 -p tcp --dport 3306 -j ACCEPT
iptables -N blocklist
iptables -A blocklist -p tcp --dport 6379 -j DROP
iptables -A blocklist -j RETURN
iptables -I INPUT 1 -j blocklist
iptables-save > iptables_save_default_drop.txt
iptables -S > iptables_S_default_drop.txt
nft -j list ruleset > nft_from_iptables_nft.json
iptables -F; iptables -X; iptables -P INPUT ACCEPT
nft flush ruleset
nft -j list ruleset > nft_empty.json
