# Real third-party SIP peers for the call-flow tests (issue 12): SIPp, baresip
# and Kamailio, started as processes of a flowlib Testbed on 127.0.0.1 (or ::1)
# and free ports, stopped by pid with the rest; what their SIP ladders were and
# what audio crossed. This file is their front: use peers.Sipp, peers.Baresip,
# peers.Kamailio, peers.RtpCapture, peers.tls_material; each lives in its own
# peers_*.py.
# SPDX-License-Identifier: GPL-2.0-only
from peers_baresip import Baresip  # noqa: F401
from peers_common import SipTrace, free_media_port, free_port, header, hostport, ladder_of, need  # noqa: F401
from peers_kamailio import Kamailio, kamailio_proxy_cfg  # noqa: F401
from peers_media import ULAW, RtpCapture, is_tone, tone_runs, wav_blocks  # noqa: F401
from peers_sipp import SDP, SIPP, Sipp, parse_messages, sipp_has_tls, uac_scenario, uas_scenario  # noqa: F401
from peers_tls import tls_material  # noqa: F401
