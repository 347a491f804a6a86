// SPDX-License-Identifier: BSD-3-Clause
//
// window.sl: one audio call in an RTCPeerConnection, driven by the test
// over the DevTools protocol (Runtime.evaluate awaits the promises).
//
//   sl.init({insertable})     getUserMedia (fake device) + a new peer connection
//   sl.offer()                we offer: SDP after ICE gathering completed
//   sl.setAnswer(sdp)         the relay's answer
//   sl.answerOffer(sdp)       the relay offers: our answer SDP
//   sl.waitConnected(ms)      connectionState connected (or failed / timeout)
//   sl.stats()                getStats() boiled down (transport, pairs, rtp)
//   sl.received(max)          payloads the receiver saw after SRTP (hex)
//
// With {insertable: true} the sender and receiver go through encoded
// insertable streams: every frame is passed on unchanged, and the receiver
// keeps a copy of each payload, so the test can check the bytes the browser
// decrypted against what the RTP endpoint sent.
//
// No STUN/TURN servers: the only candidates are the host ones of the
// namespace (mDNS obfuscation is off on the command line), and the only
// thing the browser ever talks to is the relay.
'use strict';

const sl = {
  pc: null,
  stream: null,
  track: null,
  insertable: false,
  log: [],
  rx: {frames: 0, kept: [], ssrcs: {}, pts: {}},
  tx: {frames: 0, ssrcs: {}, pts: {}},
};
window.sl = sl;

const T0 = performance.now();

function note(what) {
  sl.log.push([Math.round(performance.now() - T0), what]);
  if (sl.log.length > 400) sl.log.shift();
  document.getElementById('state').textContent = what;
}

function hex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

function count(map, key) {
  map[key] = (map[key] || 0) + 1;
}

sl.init = async function (opts) {
  opts = opts || {};
  if (sl.pc) {
    sl.pc.close();
    sl.pc = null;
  }
  sl.rx = {frames: 0, kept: [], ssrcs: {}, pts: {}};
  sl.tx = {frames: 0, ssrcs: {}, pts: {}};
  if (!sl.stream) {
    // raw capture: the tone from --use-file-for-fake-audio-capture, unprocessed
    sl.stream = await navigator.mediaDevices.getUserMedia({
      audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false},
      video: false,
    });
    sl.track = sl.stream.getAudioTracks()[0];
  }
  // RTCConfiguration as a web phone would set it; bundlePolicy defaults to
  // 'balanced' like the browser's own default (a test may ask for max-bundle)
  const cfg = {iceServers: [], rtcpMuxPolicy: 'require'};
  if (opts.bundlePolicy) cfg.bundlePolicy = opts.bundlePolicy;
  sl.insertable = !!opts.insertable &&
    typeof RTCRtpSender.prototype.createEncodedStreams === 'function';
  if (sl.insertable) cfg.encodedInsertableStreams = true;
  const pc = new RTCPeerConnection(cfg);
  sl.pc = pc;
  pc.addEventListener('connectionstatechange', () => note('connection ' + pc.connectionState));
  pc.addEventListener('iceconnectionstatechange', () => note('ice ' + pc.iceConnectionState));
  pc.addEventListener('icegatheringstatechange', () => note('gathering ' + pc.iceGatheringState));
  pc.addEventListener('signalingstatechange', () => note('signaling ' + pc.signalingState));
  pc.addEventListener('icecandidate', (e) => note('candidate ' +
    (e.candidate ? e.candidate.candidate : 'end')));
  pc.addEventListener('icecandidateerror', (e) => note('candidate error ' + e.errorCode + ' ' +
    e.errorText));
  pc.addEventListener('track', (e) => {
    note('track ' + e.track.kind);
    if (sl.insertable) tapReceiver(e.receiver);
  });
  note('init ' + sl.track.label);
  return {label: sl.track.label, insertable: sl.insertable};
};

function tapReceiver(receiver) {
  const streams = receiver.createEncodedStreams();
  const rx = sl.rx;
  streams.readable.pipeThrough(new TransformStream({
    transform(frame, ctl) {
      const md = frame.getMetadata();
      rx.frames++;
      count(rx.ssrcs, md.synchronizationSource);
      count(rx.pts, md.payloadType);
      if (rx.kept.length < 5000) rx.kept.push(hex(new Uint8Array(frame.data)));
      ctl.enqueue(frame);
    },
  })).pipeTo(streams.writable).catch((e) => note('receiver transform ' + e));
}

function tapSender(sender) {
  const streams = sender.createEncodedStreams();
  const tx = sl.tx;
  streams.readable.pipeThrough(new TransformStream({
    transform(frame, ctl) {
      const md = frame.getMetadata();
      tx.frames++;
      count(tx.ssrcs, md.synchronizationSource);
      count(tx.pts, md.payloadType);
      ctl.enqueue(frame);
    },
  })).pipeTo(streams.writable).catch((e) => note('sender transform ' + e));
}

sl.gathered = function (ms) {
  const pc = sl.pc;
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
};

sl.offer = async function () {
  const tr = sl.pc.addTransceiver(sl.track, {direction: 'sendrecv', streams: [sl.stream]});
  if (sl.insertable) tapSender(tr.sender);
  await sl.pc.setLocalDescription(await sl.pc.createOffer());
  const complete = await sl.gathered(5000);
  note('offer ready, gathering complete=' + complete);
  return sl.pc.localDescription.sdp;
};

sl.setAnswer = async function (sdp) {
  await sl.pc.setRemoteDescription({type: 'answer', sdp: sdp});
  return sl.pc.signalingState;
};

sl.answerOffer = async function (sdp) {
  await sl.pc.setRemoteDescription({type: 'offer', sdp: sdp});
  const tr = sl.pc.getTransceivers()[0];
  await tr.sender.replaceTrack(sl.track);
  tr.sender.setStreams(sl.stream);
  tr.direction = 'sendrecv';
  if (sl.insertable) tapSender(tr.sender);
  await sl.pc.setLocalDescription(await sl.pc.createAnswer());
  const complete = await sl.gathered(5000);
  note('answer ready, gathering complete=' + complete);
  return sl.pc.localDescription.sdp;
};

sl.waitConnected = function (ms) {
  const pc = sl.pc;
  const t0 = performance.now();
  const done = () => ({
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    ms: Math.round(performance.now() - t0),
  });
  return new Promise((resolve) => {
    const check = () => pc.connectionState === 'connected' || pc.connectionState === 'failed' ||
      pc.connectionState === 'closed';
    if (check()) return resolve(done());
    const timer = setTimeout(() => resolve(done()), ms);
    pc.addEventListener('connectionstatechange', () => {
      if (check()) {
        clearTimeout(timer);
        resolve(done());
      }
    });
  });
};

const PICK = {
  'transport': ['dtlsState', 'iceState', 'iceRole', 'dtlsRole', 'srtpCipher', 'dtlsCipher',
    'tlsVersion', 'selectedCandidatePairId', 'selectedCandidatePairChanges', 'packetsSent',
    'packetsReceived', 'bytesSent', 'bytesReceived'],
  'candidate-pair': ['state', 'nominated', 'packetsSent', 'packetsReceived', 'bytesSent',
    'bytesReceived', 'requestsSent', 'responsesReceived', 'requestsReceived',
    'responsesSent', 'consentRequestsSent', 'currentRoundTripTime', 'localCandidateId',
    'remoteCandidateId'],
  'inbound-rtp': ['kind', 'ssrc', 'packetsReceived', 'packetsLost', 'bytesReceived', 'jitter',
    'audioLevel', 'totalAudioEnergy', 'totalSamplesReceived', 'concealedSamples',
    'packetsDiscarded', 'codecId', 'headerBytesReceived'],
  'outbound-rtp': ['kind', 'ssrc', 'packetsSent', 'bytesSent', 'codecId', 'headerBytesSent'],
  'remote-inbound-rtp': ['ssrc', 'packetsLost', 'roundTripTime', 'reportsReceived',
    'roundTripTimeMeasurements'],
  'remote-outbound-rtp': ['ssrc', 'packetsSent', 'bytesSent', 'reportsSent'],
  'codec': ['payloadType', 'mimeType', 'clockRate', 'channels'],
  'local-candidate': ['address', 'port', 'protocol', 'candidateType'],
  'remote-candidate': ['address', 'port', 'protocol', 'candidateType'],
};

function pick(s) {
  const o = {id: s.id, type: s.type};
  for (const k of PICK[s.type] || []) if (s[k] !== undefined) o[k] = s[k];
  return o;
}

sl.stats = async function () {
  const report = await sl.pc.getStats();
  const byId = {};
  report.forEach((s) => { byId[s.id] = s; });
  const out = {connectionState: sl.pc.connectionState, iceConnectionState:
    sl.pc.iceConnectionState, transports: [], pairs: [], inbound: [], outbound: [],
    remoteInbound: [], remoteOutbound: [], selected: null};
  const withCodec = (s) => {
    const o = pick(s);
    if (s.codecId && byId[s.codecId]) o.codec = pick(byId[s.codecId]);
    return o;
  };
  report.forEach((s) => {
    if (s.type === 'transport') out.transports.push(pick(s));
    else if (s.type === 'candidate-pair') {
      const o = pick(s);
      o.local = byId[s.localCandidateId] ? pick(byId[s.localCandidateId]) : null;
      o.remote = byId[s.remoteCandidateId] ? pick(byId[s.remoteCandidateId]) : null;
      out.pairs.push(o);
    } else if (s.type === 'inbound-rtp') out.inbound.push(withCodec(s));
    else if (s.type === 'outbound-rtp') out.outbound.push(withCodec(s));
    else if (s.type === 'remote-inbound-rtp') out.remoteInbound.push(pick(s));
    else if (s.type === 'remote-outbound-rtp') out.remoteOutbound.push(pick(s));
  });
  for (const t of out.transports) {
    if (t.selectedCandidatePairId) {
      out.selected = out.pairs.find((p) => p.id === t.selectedCandidatePairId) || null;
    }
  }
  out.rx = {frames: sl.rx.frames, ssrcs: sl.rx.ssrcs, pts: sl.rx.pts};
  out.tx = {frames: sl.tx.frames, ssrcs: sl.tx.ssrcs, pts: sl.tx.pts};
  return out;
};

sl.received = function (max) {
  return sl.rx.kept.slice(0, max || 5000);
};
