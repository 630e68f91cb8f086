"""An independent re-implementation of the authors' CGNet (wutianyiRosun/
CGNet, ``model/CGNet.py``) with their module and parameter names, used only
as the reference the converter and our model are checked against."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBNPReLU(nn.Module):

    def __init__(self, n_in, n_out, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(n_in, n_out, k, stride, (k - 1) // 2,
                              bias=False)
        self.bn = nn.BatchNorm2d(n_out, eps=1e-3)
        self.act = nn.PReLU(n_out)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class BNPReLU(nn.Module):

    def __init__(self, n_out):
        super().__init__()
        self.bn = nn.BatchNorm2d(n_out, eps=1e-3)
        self.act = nn.PReLU(n_out)

    def forward(self, x):
        return self.act(self.bn(x))


class Conv(nn.Module):
    """Plain conv, or depth-wise (``groups=n_in``) with a dilation."""

    def __init__(self, n_in, n_out, k, dilation=1, depthwise=False):
        super().__init__()
        self.conv = nn.Conv2d(n_in, n_out, k, 1, (k - 1) // 2 * dilation,
                              dilation=dilation, bias=False,
                              groups=n_in if depthwise else 1)

    def forward(self, x):
        return self.conv(x)


class FGlo(nn.Module):

    def __init__(self, channel, reduction):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channel, channel // reduction), nn.ReLU(inplace=True),
            nn.Linear(channel // reduction, channel), nn.Sigmoid())

    def forward(self, x):
        b, c = x.shape[:2]
        return x * self.fc(self.avg_pool(x).view(b, c)).view(b, c, 1, 1)


class ContextGuidedBlockDown(nn.Module):

    def __init__(self, n_in, n_out, dilation, reduction):
        super().__init__()
        self.conv1x1 = ConvBNPReLU(n_in, n_out, 3, 2)
        self.F_loc = Conv(n_out, n_out, 3, depthwise=True)
        self.F_sur = Conv(n_out, n_out, 3, dilation, depthwise=True)
        self.bn = nn.BatchNorm2d(2 * n_out, eps=1e-3)
        self.act = nn.PReLU(2 * n_out)
        self.reduce = Conv(2 * n_out, n_out, 1)
        self.F_glo = FGlo(n_out, reduction)

    def forward(self, x):
        out = self.conv1x1(x)
        joi = torch.cat([self.F_loc(out), self.F_sur(out)], 1)
        return self.F_glo(self.reduce(self.act(self.bn(joi))))


class ContextGuidedBlock(nn.Module):

    def __init__(self, n_in, n_out, dilation, reduction):
        super().__init__()
        n = n_out // 2
        self.conv1x1 = ConvBNPReLU(n_in, n, 1, 1)
        self.F_loc = Conv(n, n, 3, depthwise=True)
        self.F_sur = Conv(n, n, 3, dilation, depthwise=True)
        self.bn_prelu = BNPReLU(n_out)
        self.F_glo = FGlo(n_out, reduction)

    def forward(self, x):
        out = self.conv1x1(x)
        joi = self.bn_prelu(torch.cat([self.F_loc(out), self.F_sur(out)], 1))
        return x + self.F_glo(joi)


class InputInjection(nn.Module):

    def __init__(self, times):
        super().__init__()
        self.pool = nn.ModuleList(
            nn.AvgPool2d(3, stride=2, padding=1) for _ in range(times))

    def forward(self, x):
        for pool in self.pool:
            x = pool(x)
        return x


class ContextGuidedNetwork(nn.Module):

    def __init__(self, classes=19, M=3, N=21):
        super().__init__()
        self.level1_0 = ConvBNPReLU(3, 32, 3, 2)
        self.level1_1 = ConvBNPReLU(32, 32, 3, 1)
        self.level1_2 = ConvBNPReLU(32, 32, 3, 1)
        self.sample1 = InputInjection(1)
        self.sample2 = InputInjection(2)
        self.b1 = BNPReLU(32 + 3)
        self.level2_0 = ContextGuidedBlockDown(32 + 3, 64, 2, 8)
        self.level2 = nn.ModuleList(
            ContextGuidedBlock(64, 64, 2, 8) for _ in range(M - 1))
        self.bn_prelu_2 = BNPReLU(128 + 3)
        self.level3_0 = ContextGuidedBlockDown(128 + 3, 128, 4, 16)
        self.level3 = nn.ModuleList(
            ContextGuidedBlock(128, 128, 4, 16) for _ in range(N - 1))
        self.bn_prelu_3 = BNPReLU(256)
        self.classifier = nn.Sequential(Conv(256, classes, 1))

    def forward(self, x):
        out0 = self.level1_2(self.level1_1(self.level1_0(x)))
        inp1, inp2 = self.sample1(x), self.sample2(x)
        out0_cat = self.b1(torch.cat([out0, inp1], 1))
        out1 = out1_0 = self.level2_0(out0_cat)
        for layer in self.level2:
            out1 = layer(out1)
        out1_cat = self.bn_prelu_2(torch.cat([out1, out1_0, inp2], 1))
        out2 = out2_0 = self.level3_0(out1_cat)
        for layer in self.level3:
            out2 = layer(out2)
        out2_cat = self.bn_prelu_3(torch.cat([out2_0, out2], 1))
        logits = self.classifier(out2_cat)
        return F.interpolate(logits, x.shape[2:], mode='bilinear',
                             align_corners=False)
