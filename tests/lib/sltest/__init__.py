# SPDX-License-Identifier: BSD-3-Clause
"""sltest: sluice's Python test harness (stdlib only, run as root).

Modules:
  netns     create sockets / run programs inside named network namespaces
  topo      Topology: a "core" netns for the relay + endpoint netns's on veths
  relay     Sluice / Rtpengine: start a relay in the core netns, wait for ng pong
  ng        NgClient: rtpengine "ng" protocol client (bencode or JSON)
  rtp       RtpPeer, Pattern: RTP/RTCP endpoints with verifiable payloads
  sdp       build and parse the small SDPs the tests exchange
  kamailio  Kamailio: run Kamailio 5.6 with tests/kamailio/kamailio.cfg.tmpl
  hep       HEPv3 decoder, UDP/TCP collectors, tshark with a HEP3 Lua dissector
  demo      the scripts/demo walkthrough

Addresses used by the harness are confined to 198.18.0.0/15 and
2001:db8::/32 (plus 127.0.0.1 inside the private core netns).
"""

import os as _os

#: repository root (tests/lib/sltest/__init__.py -> ../../..)
REPO_ROOT = _os.path.abspath(_os.path.join(_os.path.dirname(__file__), '..', '..', '..'))
