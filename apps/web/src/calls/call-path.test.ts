import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathFromStats } from './call-path.ts';

function stats(local: { candidateType: string; relayProtocol?: string }) {
  return [
    { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1' },
    { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2' },
    { id: 'L1', type: 'local-candidate', ...local },
    { id: 'L2', type: 'local-candidate', candidateType: 'host' },
  ];
}

describe('R65 the call bar names the path in use', () => {
  it('R65 the selected pair\'s local candidate decides: host/srflx are direct, relay says its protocol to the TURN server', () => {
    assert.equal(pathFromStats(stats({ candidateType: 'host' })), 'direct');
    assert.equal(pathFromStats(stats({ candidateType: 'srflx' })), 'direct');
    assert.equal(pathFromStats(stats({ candidateType: 'relay', relayProtocol: 'udp' })), 'relay-udp');
    assert.equal(pathFromStats(stats({ candidateType: 'relay', relayProtocol: 'tcp' })), 'relay-tcp');
    assert.equal(pathFromStats(stats({ candidateType: 'relay', relayProtocol: 'tls' })), 'relay-tls');
  });

  it('R65 before a pair is selected nothing is said', () => {
    assert.equal(pathFromStats([{ id: 'T1', type: 'transport' }]), undefined);
  });
});
