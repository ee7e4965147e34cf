#!/usr/bin/env python3
"""Writes a random-weight TPSMM checkpoint laid out like the official ones, for the benchmark
and the load check of the full architecture (the real vox.pth.tar is not redistributable here).

Builds the official modules from a checkout of yoyo-nb/Thin-Plate-Spline-Motion-Model (MIT;
imported from --repo, nothing copied) with the given config, and saves what train_avd.py saves:
inpainting_network, dense_motion_network, kp_detector, avd_network, optimizer_avd,
bg_predictor and epoch, with torch.save into OUT.

    python benches/tpsmm_make_checkpoint.py --repo CHECKOUT --out /tmp/vox-random.pth.tar
"""
import argparse, os, sys

ap = argparse.ArgumentParser()
ap.add_argument('--repo', required=True)
ap.add_argument('--config', default='config/vox-256.yaml', help='relative to --repo')
ap.add_argument('--out', required=True)
ap.add_argument('--seed', type=int, default=0)
args = ap.parse_args()

import torch, yaml
sys.path.insert(0, os.path.abspath(args.repo))
from modules.inpainting_network import InpaintingNetwork
from modules.keypoint_detector import KPDetector
from modules.dense_motion import DenseMotionNetwork
from modules.avd_network import AVDNetwork
from modules.bg_motion_predictor import BGMotionPredictor

torch.manual_seed(args.seed)
with open(os.path.join(args.repo, args.config)) as f:
    cfg = yaml.safe_load(f)['model_params']
common = cfg['common_params']
nets = {
    'inpainting_network': InpaintingNetwork(**cfg['generator_params'], **common),
    'kp_detector': KPDetector(**common),
    'dense_motion_network': DenseMotionNetwork(**cfg['dense_motion_params'], **common),
    'avd_network': AVDNetwork(num_tps=common['num_tps'], **cfg['avd_network_params']),
    'bg_predictor': BGMotionPredictor(),
}
optimizer = torch.optim.Adam(nets['avd_network'].parameters(), lr=1e-3)
state = {name: net.state_dict() for name, net in nets.items()}
state['optimizer_avd'] = optimizer.state_dict()
state['epoch'] = 0
torch.save(state, args.out)
for name, net in nets.items():
    print(name, sum(p.numel() for p in net.parameters()))
print('wrote', args.out, os.path.getsize(args.out), 'bytes')
