# An independent reader of momentum-wasm's torch-format files: parses the safetensors file by
# hand, rebuilds the nn.Sequential its metadata names (torch_modules) in numpy, module by module
# as PyTorch defines them (NCHW, eval mode), and runs it on NHWC rows transposed to NCHW.
# Usage: python3 torch_reference.py MODEL.safetensors X.f32 N H W C   (H W C = 1 F 1 for vectors)
# Prints JSON: { "names": sorted tensor names, "y": outputs row-major }.
import json, struct, sys
import numpy as np

def read_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        assert t['dtype'] == 'F32', t['dtype']
        a, b = t['data_offsets']
        tensors[name] = np.frombuffer(body[a:b], dtype='<f4').reshape(t['shape']).astype(np.float64)
    return tensors, meta

def conv2d(x, w, b, stride, padding):
    ph, pw = padding
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    F, C, KH, KW = w.shape
    sh, sw = stride
    OH = (x.shape[2] - KH) // sh + 1
    OW = (x.shape[3] - KW) // sw + 1
    out = np.zeros((x.shape[0], F, OH, OW))
    for kh in range(KH):
        for kw in range(KW):
            patch = x[:, :, kh:kh + sh * (OH - 1) + 1:sh, kw:kw + sw * (OW - 1) + 1:sw]
            out += np.einsum('nchw,fc->nfhw', patch, w[:, :, kh, kw])
    if b is not None:
        out += b[None, :, None, None]
    return out

def pool(x, k, s, reduce):
    KH, KW = k
    sh, sw = s
    OH = (x.shape[2] - KH) // sh + 1
    OW = (x.shape[3] - KW) // sw + 1
    windows = [x[:, :, a:a + sh * (OH - 1) + 1:sh, b:b + sw * (OW - 1) + 1:sw] for a in range(KH) for b in range(KW)]
    return reduce(np.stack(windows), axis=0)

def main():
    path, xpath, N, H, W, C = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
    tensors, meta = read_safetensors(path)
    modules = json.loads(meta['torch_modules'])
    x = np.fromfile(xpath, dtype='<f4').astype(np.float64).reshape(N, H, W, C)
    vector = H == 1 and C == 1
    a = x.reshape(N, W) if vector else x.transpose(0, 3, 1, 2)  # NHWC -> NCHW
    for i, m in enumerate(modules):
        t, args = m['type'], m['args']
        get = lambda key: tensors.get(f'{i}.{key}')
        if t == 'Conv2d':
            a = conv2d(a, get('weight'), get('bias'), args['stride'], args['padding'])
        elif t == 'ZeroPad2d':
            l, r, top, bottom = args['padding']
            a = np.pad(a, ((0, 0), (0, 0), (top, bottom), (l, r)))
        elif t == 'MaxPool2d':
            a = pool(a, args['kernel_size'], args['stride'], np.max)
        elif t == 'AvgPool2d':
            a = pool(a, args['kernel_size'], args['stride'], np.mean)
        elif t in ('BatchNorm2d', 'BatchNorm1d'):
            shape = (1, -1, 1, 1) if t == 'BatchNorm2d' else (1, -1)
            g, b, mu, var = (get(k).reshape(shape) for k in ('weight', 'bias', 'running_mean', 'running_var'))
            a = (a - mu) / np.sqrt(var + args['eps']) * g + b
        elif t == 'Flatten':
            a = a.reshape(a.shape[0], -1)
        elif t == 'Linear':
            a = a @ get('weight').T + (get('bias') if args['bias'] else 0)
        elif t == 'Dropout':
            pass  # eval mode
        elif t == 'ReLU':
            a = np.maximum(a, 0)
        elif t == 'Sigmoid':
            a = 1 / (1 + np.exp(-a))
        elif t == 'Tanh':
            a = np.tanh(a)
        elif t == 'Softmax':
            e = np.exp(a - a.max(axis=args['dim'], keepdims=True))
            a = e / e.sum(axis=args['dim'], keepdims=True)
        else:
            raise SystemExit(f'unknown module {t}')
    if a.ndim == 4:
        a = a.transpose(0, 2, 3, 1)  # back to NHWC, as predict returns it
    print(json.dumps({'names': sorted(tensors), 'y': a.reshape(-1).tolist()}))

main()
