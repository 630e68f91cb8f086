"""An independent re-implementation of the SGCPNet authors' model
(zhouyuan888888/SGCPNet at ead5adf: ``models/SGCPNet.py``, ``models/mbnet.py``,
``models/SGCPmodule.py``; no licence, read for facts only) with their module
names, parameter registration order and bias placement, in plain torch; used
only as the reference the converter is checked against.

Facts it reproduces: the encoder's stem is ``l1`` (conv, BN, h-swish), its
first bottleneck ``l2`` is a bare block and ``l3``-``l5`` are Sequentials;
a block registers its SE module (``se.se``: pool, conv, BN, ReLU, conv, BN,
h-sigmoid) before ``conv1``-``conv3``/``bn1``-``bn3``; the separable convs
of the SGCP module have a bias-free depthwise conv and a biased pointwise
conv, each wrapped in a module with a ``conv`` attribute; the fusion weights
are registered after all convs, in the order p6_w1, p6_w2, p5_w1, ... p7_w2;
``td_bu`` holds the guided layer as ``unit.0``. Encoder BNs use torch's
defaults, the SGCP module's momentum 0.01 and eps 1e-3.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# kernel, in, expanded, out, activation, SE, stride (their MBNet.bneck)
BLOCKS = (
    (3, 16, 16, 16, 'relu', True, 2),
    (3, 16, 72, 24, 'relu', False, 2),
    (3, 24, 88, 24, 'relu', False, 1),
    (5, 24, 96, 40, 'hswish', True, 2),
    (5, 40, 240, 40, 'hswish', True, 1),
    (5, 40, 240, 40, 'hswish', True, 1),
    (5, 40, 120, 48, 'hswish', True, 1),
    (5, 48, 144, 48, 'hswish', True, 1),
    (5, 48, 288, 96, 'hswish', True, 2),
    (5, 96, 576, 96, 'hswish', True, 1),
    (5, 96, 576, 96, 'hswish', True, 1),
)


class HSwish(nn.Module):

    def forward(self, x):
        return x * F.relu6(x + 3) / 6


class HSigmoid(nn.Module):

    def forward(self, x):
        return F.relu6(x + 3) / 6


class SE(nn.Module):

    def __init__(self, channels):
        super().__init__()
        hidden = channels // 4
        self.se = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU(),
            nn.Conv2d(hidden, channels, 1, bias=False),
            nn.BatchNorm2d(channels), HSigmoid())

    def forward(self, x):
        return x * self.se(x)


class Block(nn.Module):

    def __init__(self, k, cin, mid, cout, act, with_se, stride):
        super().__init__()
        self.stride = stride
        self.se = SE(cout) if with_se else None  # registered first
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.nolinear1 = nn.ReLU() if act == 'relu' else HSwish()
        self.conv2 = nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.nolinear2 = self.nolinear1
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride == 1 and cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.nolinear1(self.bn1(self.conv1(x)))
        y = self.nolinear2(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        return y + self.shortcut(x) if self.stride == 1 else y


def head_bn(channels):
    return nn.BatchNorm2d(channels, momentum=0.01, eps=1e-3)


class Wrapped(nn.Module):
    """Their conv wrapper: padding k // 2, the conv under ``conv``."""

    def __init__(self, cin, cout, k, bias=True, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias,
                              groups=groups)

    def forward(self, x):
        return self.conv(x)


class SeparableConv(nn.Module):

    def __init__(self, channels):
        super().__init__()
        self.depthwise_conv = Wrapped(channels, channels, 3, bias=False,
                                      groups=channels)
        self.pointwise_conv = Wrapped(channels, channels, 1)  # the bias
        self.bn = head_bn(channels)

    def forward(self, x):
        return self.bn(self.pointwise_conv(self.depthwise_conv(x)))


def lateral(cin, cout):
    return nn.Sequential(Wrapped(cin, cout, 1), head_bn(cout))


def fuse(weight, inputs, eps=1e-4):
    """Fast normalised fusion, then swish; inputs resized to the first's
    size (nearest) as theirs does."""
    w = F.relu(weight)
    w = w / (w.sum() + eps)
    size = inputs[0].shape[2:]
    total = sum(wi * F.interpolate(x, size=size, mode='nearest')
                for wi, x in zip(w, inputs))
    return total * torch.sigmoid(total)


def pool(x):
    return F.max_pool2d(x, 3, 2, 1)


class GuidedLayer(nn.Module):
    """Their TD_BU_paths with first_time=True."""

    def __init__(self, ch=64, widths=(40, 112, 320)):
        super().__init__()
        c3, c4, c5 = widths
        self.p5_down_channel = lateral(c5, ch)
        self.p4_down_channel = lateral(c4, ch)
        self.p3_down_channel = lateral(c3, ch)
        self.p5_to_p6 = nn.Sequential(Wrapped(c5, ch, 1), head_bn(ch),
                                      nn.MaxPool2d(3, 2, 1))
        self.p6_to_p7 = nn.Sequential(nn.MaxPool2d(3, 2, 1))
        self.p4_down_channel_2 = lateral(c4, ch)
        self.p5_down_channel_2 = lateral(c5, ch)
        for name in ('conv6_up', 'conv5_up', 'conv4_up', 'conv3_up',
                     'conv4_down', 'conv5_down', 'conv6_down', 'conv7_down'):
            setattr(self, name, SeparableConv(ch))
        for name, n in (('p6_w1', 2), ('p6_w2', 3), ('p5_w1', 2),
                        ('p5_w2', 3), ('p4_w1', 2), ('p4_w2', 3),
                        ('p3_w1', 2), ('p7_w2', 2)):
            setattr(self, name, nn.Parameter(torch.ones(n)))

    def forward(self, inputs):
        p3, p4, p5 = inputs
        p6 = self.p5_to_p6(p5)
        p7 = self.p6_to_p7(p6)
        p3_in = self.p3_down_channel(p3)
        p4_in = self.p4_down_channel(p4)
        p5_in = self.p5_down_channel(p5)
        p6_up = self.conv6_up(fuse(self.p6_w1, [p6, p7]))
        p5_up = self.conv5_up(fuse(self.p5_w1, [p5_in, p6_up]))
        p4_up = self.conv4_up(fuse(self.p4_w1, [p4_in, p5_up]))
        p3_out = self.conv3_up(fuse(self.p3_w1, [p3_in, p4_up]))
        p4_in = self.p4_down_channel_2(p4)
        p5_in = self.p5_down_channel_2(p5)
        p4_out = self.conv4_down(
            fuse(self.p4_w2, [p4_in, p4_up, pool(p3_out)]))
        p5_out = self.conv5_down(
            fuse(self.p5_w2, [p5_in, p5_up, pool(p4_out)]))
        p6_out = self.conv6_down(fuse(self.p6_w2, [p6, p6_up, pool(p5_out)]))
        p7_out = self.conv7_down(fuse(self.p7_w2, [p7, pool(p6_out)]))
        return p3_out, p4_out, p5_out, p6_out, p7_out


class TopDown(nn.Module):
    """Their TD: the top-down half alone, returning the 1/8 level."""

    def __init__(self, ch=64):
        super().__init__()
        for name in ('conv6_up', 'conv5_up', 'conv4_up', 'conv3_up'):
            setattr(self, name, SeparableConv(ch))
        for name in ('p6_w1', 'p5_w1', 'p4_w1', 'p3_w1'):
            setattr(self, name, nn.Parameter(torch.ones(2)))

    def forward(self, inputs):
        p3, p4, p5, p6, p7 = inputs
        p6 = self.conv6_up(fuse(self.p6_w1, [p6, p7]))
        p5 = self.conv5_up(fuse(self.p5_w1, [p5, p6]))
        p4 = self.conv4_up(fuse(self.p4_w1, [p4, p5]))
        return self.conv3_up(fuse(self.p3_w1, [p3, p4]))


class TDBU(nn.Module):

    def __init__(self):
        super().__init__()
        self.unit = nn.Sequential(GuidedLayer())

    def forward(self, x):
        return self.unit(x)


class SGCPModule(nn.Module):

    def __init__(self):
        super().__init__()
        self.td_bu = TDBU()
        self.td = TopDown()

    def forward(self, feats):
        return self.td(self.td_bu(feats))


class OriginalSGCPNet(nn.Module):
    """Their SGCPNet: logits at 1/8 of the (normalised) input."""

    def __init__(self, num_classes=19):
        super().__init__()
        blocks = [Block(*b) for b in BLOCKS]
        self.l1 = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False),
                                nn.BatchNorm2d(16), HSwish())
        self.l2 = blocks[0]
        self.l3 = nn.Sequential(*blocks[1:3])
        self.l4 = nn.Sequential(*blocks[3:8])
        self.l5 = nn.Sequential(*blocks[8:])
        self.conv3 = nn.Conv2d(24, 40, 1)
        self.conv4 = nn.Conv2d(48, 112, 1)
        self.conv5 = nn.Conv2d(96, 320, 1)
        self.sgcp = SGCPModule()
        self.classifier = nn.Conv2d(64, num_classes, 1)

    def forward(self, x):
        x3 = self.l3(self.l2(self.l1(x)))
        x4 = self.l4(x3)
        x5 = self.l5(x4)
        p3 = self.sgcp([self.conv3(x3), self.conv4(x4), self.conv5(x5)])
        return self.classifier(p3)
