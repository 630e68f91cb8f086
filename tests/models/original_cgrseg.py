"""An independent re-implementation of the CGRSeg authors' model
(nizhenliang/CGRSeg: ``mmseg/models/backbones/efficientformer_v2.py``,
``mmseg/models/decode_heads/{cgr_head,rcm,dpg_head}.py``) with their module
and parameter names and their forward, in plain torch; used only as the
reference the converter and our model are checked against. Their
backbone needs inputs whose 1/16 map has even sides (a multiple of 32)."""
import itertools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTHS = {'S1': (32, 48, 120, 224), 'S2': (32, 64, 144, 288),
          'L': (40, 80, 192, 384)}
DEPTHS = {'S1': (3, 3, 9, 6), 'S2': (4, 4, 12, 8), 'L': (5, 5, 15, 10)}
RATIOS = {
    'S1': ((4, ) * 3, (4, ) * 3, (4, 4, 3, 3, 3, 3, 4, 4, 4),
           (4, 4, 3, 3, 4, 4)),
    'S2': ((4, ) * 4, (4, ) * 4, (4, 4, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4),
           (4, 4, 3, 3, 3, 3, 4, 4)),
    'L': ((4, ) * 5, (4, ) * 5,
          (4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4),
          (4, 4, 4, 3, 3, 3, 3, 4, 4, 4)),
}
VIT_NUM = {'S1': 2, 'S2': 4, 'L': 6}


def _bias_table(num_heads, q_points, k_points, step):
    offsets, idxs = {}, []
    for p1 in q_points:
        for p2 in k_points:
            off = (abs(p1[0] * step - p2[0]), abs(p1[1] * step - p2[1]))
            idxs.append(offsets.setdefault(off, len(offsets)))
    return (nn.Parameter(torch.zeros(num_heads, len(offsets))),
            torch.LongTensor(idxs).view(len(q_points), len(k_points)))


def _conv_bn(cin, cout, k=1, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups),
        nn.BatchNorm2d(cout))


class Attention4D(nn.Module):

    def __init__(self, dim, resolution, stride=None, key_dim=32,
                 num_heads=8, attn_ratio=4):
        super().__init__()
        self.num_heads, self.key_dim = num_heads, key_dim
        self.scale = key_dim ** -0.5
        if stride is not None:
            resolution = math.ceil(resolution / stride)
            self.stride_conv = _conv_bn(dim, dim, 3, stride, groups=dim)
            self.upsample = nn.Upsample(scale_factor=stride, mode='bilinear')
        else:
            self.stride_conv = self.upsample = None
        self.d = attn_ratio * key_dim
        self.dh = self.d * num_heads
        self.q = _conv_bn(dim, num_heads * key_dim)
        self.k = _conv_bn(dim, num_heads * key_dim)
        self.v = _conv_bn(dim, self.dh)
        self.v_local = _conv_bn(self.dh, self.dh, 3, groups=self.dh)
        self.talking_head1 = nn.Conv2d(num_heads, num_heads, 1)
        self.talking_head2 = nn.Conv2d(num_heads, num_heads, 1)
        self.proj = nn.Sequential(nn.GELU(), nn.Conv2d(self.dh, dim, 1),
                                  nn.BatchNorm2d(dim))
        points = list(itertools.product(range(resolution), repeat=2))
        self.register_buffer('attention_biases', torch.zeros(num_heads, 49))
        self.register_buffer('attention_bias_idxs',
                             torch.ones(49, 49).long())
        self.attention_biases_seg, idxs = _bias_table(num_heads, points,
                                                      points, 1)
        self.register_buffer('attention_bias_idxs_seg', idxs)

    def forward(self, x):
        B, C, H, W = x.shape
        if self.stride_conv is not None:
            x = self.stride_conv(x)
            H, W = H // 2, W // 2
        q = self.q(x).flatten(2).reshape(B, self.num_heads, -1,
                                         H * W).permute(0, 1, 3, 2)
        k = self.k(x).flatten(2).reshape(B, self.num_heads, -1, H * W)
        v = self.v(x)
        v_local = self.v_local(v)
        v = v.flatten(2).reshape(B, self.num_heads, -1,
                                 H * W).permute(0, 1, 3, 2)
        attn = (q @ k) * self.scale
        bias = self.attention_biases_seg[:, self.attention_bias_idxs_seg]
        attn = attn + F.interpolate(bias.unsqueeze(0), size=attn.shape[-2:],
                                    mode='bicubic')
        attn = self.talking_head2(self.talking_head1(attn).softmax(dim=-1))
        out = (attn @ v).transpose(2, 3).reshape(B, self.dh, H, W) + v_local
        if self.upsample is not None:
            out = self.upsample(out)
        return self.proj(out)


class LGQuery(nn.Module):

    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.pool = nn.AvgPool2d(1, 2, 0)
        self.local = nn.Sequential(
            nn.Conv2d(in_dim, in_dim, 3, 2, 1, groups=in_dim))
        self.proj = _conv_bn(in_dim, out_dim)

    def forward(self, x):
        return self.proj(self.local(x) + self.pool(x))


class Attention4DDownsample(nn.Module):

    def __init__(self, dim, out_dim, resolution, key_dim=16, num_heads=8,
                 attn_ratio=4):
        super().__init__()
        self.num_heads, self.scale = num_heads, key_dim ** -0.5
        self.d = attn_ratio * key_dim
        self.dh = self.d * num_heads
        resolution2 = math.ceil(resolution / 2)
        self.q = LGQuery(dim, num_heads * key_dim)
        self.k = _conv_bn(dim, num_heads * key_dim)
        self.v = _conv_bn(dim, self.dh)
        self.v_local = _conv_bn(self.dh, self.dh, 3, 2, groups=self.dh)
        self.proj = nn.Sequential(nn.GELU(), nn.Conv2d(self.dh, out_dim, 1),
                                  nn.BatchNorm2d(out_dim))
        self.register_buffer('attention_biases', torch.zeros(num_heads, 196))
        self.register_buffer('attention_bias_idxs',
                             torch.ones(49, 196).long())
        self.attention_biases_seg, idxs = _bias_table(
            num_heads, list(itertools.product(range(resolution2), repeat=2)),
            list(itertools.product(range(resolution), repeat=2)),
            math.ceil(resolution / resolution2))
        self.register_buffer('attention_bias_idxs_seg', idxs)

    def forward(self, x):
        B, C, H, W = x.shape
        q = self.q(x).flatten(2).reshape(B, self.num_heads, -1,
                                         H * W // 4).permute(0, 1, 3, 2)
        k = self.k(x).flatten(2).reshape(B, self.num_heads, -1, H * W)
        v = self.v(x)
        v_local = self.v_local(v)
        v = v.flatten(2).reshape(B, self.num_heads, -1,
                                 H * W).permute(0, 1, 3, 2)
        attn = (q @ k) * self.scale
        bias = self.attention_biases_seg[:, self.attention_bias_idxs_seg]
        attn = attn + F.interpolate(bias.unsqueeze(0), size=attn.shape[-2:],
                                    mode='bicubic')
        out = (attn.softmax(dim=-1) @ v).transpose(2, 3)
        out = out.reshape(B, self.dh, H // 2, W // 2) + v_local
        return self.proj(out)


class Embedding(nn.Module):

    def __init__(self, in_chans, embed_dim, resolution, asub):
        super().__init__()
        self.asub = asub
        if asub:
            self.attn = Attention4DDownsample(in_chans, embed_dim,
                                              resolution)
            self.conv = nn.Conv2d(in_chans, embed_dim, 3, 2, 1)
            self.bn = nn.BatchNorm2d(embed_dim)
        else:
            self.proj = nn.Conv2d(in_chans, embed_dim, 3, 2, 1)
            self.norm = nn.BatchNorm2d(embed_dim)

    def forward(self, x):
        if self.asub:
            return self.attn(x) + self.bn(self.conv(x))
        return self.norm(self.proj(x))


class Mlp(nn.Module):

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)
        self.mid = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.mid_norm = nn.BatchNorm2d(hidden)
        self.norm1 = nn.BatchNorm2d(hidden)
        self.norm2 = nn.BatchNorm2d(dim)

    def forward(self, x):
        x = self.act(self.norm1(self.fc1(x)))
        x = self.act(self.mid_norm(self.mid(x)))
        return self.norm2(self.fc2(x))


class FFN(nn.Module):

    def __init__(self, dim, ratio, attn=None):
        super().__init__()
        if attn is not None:
            self.token_mixer = attn
            self.layer_scale_1 = nn.Parameter(1e-5 * torch.ones(dim, 1, 1))
        self.mlp = Mlp(dim, int(dim * ratio))
        self.layer_scale_2 = nn.Parameter(1e-5 * torch.ones(dim, 1, 1))

    def forward(self, x):
        if hasattr(self, 'token_mixer'):
            x = x + self.layer_scale_1 * self.token_mixer(x)
        return x + self.layer_scale_2 * self.mlp(x)


class EfficientFormer(nn.Module):
    """The authors' ``efficientformerv2_<arch>_feat`` (``resolution=512``),
    returning the four stages."""

    def __init__(self, arch, resolution=512):
        super().__init__()
        widths, depths = WIDTHS[arch], DEPTHS[arch]
        self.patch_embed = nn.Sequential(
            nn.Conv2d(3, widths[0] // 2, 3, 2, 1),
            nn.BatchNorm2d(widths[0] // 2), nn.GELU(),
            nn.Conv2d(widths[0] // 2, widths[0], 3, 2, 1),
            nn.BatchNorm2d(widths[0]), nn.GELU())
        network = []
        for i, depth in enumerate(depths):
            res = math.ceil(resolution / 2 ** (i + 2))
            blocks = []
            for j in range(depth):
                attn = None
                if i >= 2 and j > depth - 1 - VIT_NUM[arch]:
                    attn = Attention4D(widths[i], res,
                                       stride=2 if i == 2 else None)
                blocks.append(FFN(widths[i], RATIOS[arch][i][j], attn))
            network.append(nn.Sequential(*blocks))
            if i < 3:
                network.append(Embedding(widths[i], widths[i + 1], res,
                                         asub=i >= 2))
        self.network = nn.ModuleList(network)

    def forward(self, x):
        x = self.patch_embed(x)
        outs = []
        for idx, block in enumerate(self.network):
            x = block(x)
            if idx in (0, 2, 4, 6):
                outs.append(x)
        return outs


class ConvModule(nn.Module):
    """mmcv's ConvModule names: conv (no bias before BN), bn, activate."""

    def __init__(self, cin, cout, groups=1, act=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.activate = nn.ReLU() if act else nn.Identity()

    def forward(self, x):
        return self.activate(self.bn(self.conv(x)))


class RCA(nn.Module):

    def __init__(self, inp, band_kernel_size, square_kernel_size):
        super().__init__()
        self.dwconv_hw = nn.Conv2d(inp, inp, square_kernel_size,
                                   padding=square_kernel_size // 2,
                                   groups=inp)
        self.pool_h = nn.AdaptiveAvgPool2d((None, 1))
        self.pool_w = nn.AdaptiveAvgPool2d((1, None))
        k = band_kernel_size
        self.excite = nn.Sequential(
            nn.Conv2d(inp, inp, (1, k), padding=(0, k // 2), groups=inp),
            nn.BatchNorm2d(inp), nn.ReLU(inplace=True),
            nn.Conv2d(inp, inp, (k, 1), padding=(k // 2, 0), groups=inp),
            nn.Sigmoid())

    def forward(self, x):
        att = self.excite(self.pool_h(x) + self.pool_w(x))
        return att * self.dwconv_hw(x)


class ConvMlp(nn.Module):

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.norm = nn.Identity()
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(self.act(self.norm(self.fc1(x))))


class RCM(nn.Module):

    def __init__(self, dim, dw_size, square_kernel_size=3, mlp_ratio=2):
        super().__init__()
        self.token_mixer = RCA(dim, dw_size, square_kernel_size)
        self.norm = nn.BatchNorm2d(dim)
        self.mlp = ConvMlp(dim, int(mlp_ratio * dim))
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x):
        out = self.mlp(self.norm(self.token_mixer(x)))
        return out.mul(self.gamma.reshape(1, -1, 1, 1)) + x


class NextLayer(nn.Module):

    def __init__(self, num, dim, dw_size):
        super().__init__()
        self.transformer_blocks = nn.ModuleList(
            RCM(dim, dw_size) for _ in range(num))

    def forward(self, x):
        for block in self.transformer_blocks:
            x = block(x)
        return x


class FuseBlockMulti(nn.Module):

    def __init__(self, inp, oup):
        super().__init__()
        self.fuse1 = ConvModule(inp, oup)
        self.fuse2 = ConvModule(inp, oup)

    def forward(self, x_l, x_h):
        sig = F.relu6(self.fuse2(x_h) + 3) / 6
        sig = F.interpolate(sig, size=x_l.shape[2:], mode='bilinear',
                            align_corners=False)
        return self.fuse1(x_l) * sig


class DPGHead(nn.Module):

    def __init__(self, ch):
        super().__init__()
        self.conv_mask = nn.Conv2d(ch, 1, 1)
        self.channel_mul_conv = nn.Sequential(
            nn.Conv2d(ch, ch, 1), nn.LayerNorm([ch, 1, 1]),
            nn.ReLU(inplace=True), nn.Conv2d(ch, ch, 1))

    def forward(self, x, y):
        b, c, h, w = y.shape
        mask = self.conv_mask(y).view(b, 1, h * w).softmax(dim=2)
        context = torch.matmul(y.view(b, c, h * w).unsqueeze(1),
                               mask.unsqueeze(3)).view(b, c, 1, 1)
        return x * torch.sigmoid(self.channel_mul_conv(context))


class CGRSeg(nn.Module):
    """The authors' decode head (eval mode: dropout off)."""

    def __init__(self, in_channels, channels, num_classes, dw_size,
                 neck_size, next_repeat):
        super().__init__()
        self.in_channels = list(in_channels)
        self.linear_fuse = ConvModule(channels, channels, groups=channels,
                                      act=True)
        self.trans = NextLayer(next_repeat, sum(in_channels), neck_size)
        self.SIM = nn.ModuleList(
            FuseBlockMulti(c, channels) for c in in_channels)
        self.meta = nn.ModuleList(RCM(c, dw_size) for c in in_channels)
        self.conv = nn.ModuleList(
            nn.Conv2d(channels, c, 1) for c in in_channels[:-1])
        self.lgc = DPGHead(channels)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def forward(self, xx):
        H, W = xx[-1].shape[2:]
        size = ((H - 1) // 2 + 1, (W - 1) // 2 + 1)
        out = self.trans(torch.cat(
            [F.adaptive_avg_pool2d(x, size) for x in xx], dim=1))
        f_cat = out.split(self.in_channels, dim=1)
        results = []
        for i in range(len(xx) - 1, -1, -1):
            local = xx[i]
            if results:
                local = local + self.conv[i](F.interpolate(
                    results[-1], size=local.shape[2:], mode='bilinear',
                    align_corners=False))
            results.append(self.SIM[i](self.meta[i](local), f_cat[i]))
        x = results[-1]
        prev = self.conv_seg(self.linear_fuse(x))
        b, k = prev.shape[:2]
        probs = prev.view(b, k, -1).softmax(dim=2)
        context = torch.matmul(probs, x.view(b, x.shape[1], -1).permute(
            0, 2, 1)).permute(0, 2, 1).contiguous().unsqueeze(3)
        return self.conv_seg(self.lgc(x, context) + x)


class OriginalCGRSeg(nn.Module):
    """backbone.* and decode_head.* as the authors' checkpoints."""

    variants = {
        'T': ('S1', 128, 11, 11, 5),
        'B': ('S2', 256, 11, 11, 6),
        'L': ('L', 256, 9, 9, 5),
    }

    def __init__(self, variant='T', num_classes=150):
        super().__init__()
        arch, channels, dw_size, neck_size, repeat = self.variants[variant]
        self.backbone = EfficientFormer(arch)
        self.decode_head = CGRSeg(WIDTHS[arch][1:], channels, num_classes,
                                  dw_size, neck_size, repeat)

    def forward(self, x):
        return self.decode_head(self.backbone(x)[1:])
