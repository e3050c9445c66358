import { otherWeights, spaceIdentity } from '../../../src/gallery/space-models';

const model = (role: string, sha256: string | null) => ({ role, name: `m-${role}`, version: '1.0.0', sha256 });

describe('space records', () => {
  it('tells weights retrained under the same name and version apart by their hash', () => {
    expect(otherWeights([model('image', 'aa'), model('text', 'bb')], [model('image', 'aa'), model('text', 'bb')])).toBe(false);
    expect(otherWeights([model('image', 'aa'), model('text', 'bb')], [model('image', 'cc'), model('text', 'bb')])).toBe(true);
  });

  it('does not count a hash unknown on either side', () => {
    expect(otherWeights([model('image', null)], [model('image', 'cc')])).toBe(false);
    expect(otherWeights([model('image', 'aa')], [model('image', null)])).toBe(false);
    expect(otherWeights([], [model('image', 'cc')])).toBe(false);
  });

  it('names a gallery by its key and its weights, so retrained weights get a place of their own', () => {
    const a = spaceIdentity('space@1 image=img@1', [model('image', 'aa')]);
    expect(spaceIdentity('space@1 image=img@1', [model('image', 'aa')])).toBe(a);
    expect(spaceIdentity('space@1 image=img@1', [model('image', 'cc')])).not.toBe(a);
    expect(spaceIdentity('space@1 image=img@1', [model('image', null)])).toBe('space@1 image=img@1 image:-');
  });
});
