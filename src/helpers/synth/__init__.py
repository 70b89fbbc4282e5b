"""Synthetic brand-run chat groups with planted truth: the workbench's default dataset.

``python -m helpers.synth --out DIR [--groups N] [--seed S] [--months M] [--world planted|null|random]
[--params FILE.yml]`` writes the contract tables (groups, memberships, messages, assignments) as
Parquet and ``truth.json``: every planted parameter, the estimand each study should recover,
where an estimand emerges from the dynamics its true value on these very groups, and for
every claim in the claims registry its true answer in this world (``claims``: supported,
contradicted, no effect or untestable, and why).

Every parameter is documented with its allowed range in ``parameters.PARAMETERS``; a
YAML file of ``name: value`` lines overrides any of them (``--params``), and
``--world random --seed S`` draws them all from documented ranges, switching each planted
effect off with probability 1/3 (``parameters.random_world``).

The behaviour model, mechanism by mechanism (parameters in ``world.World``):

Groups (``groups``)
    Groups open over all but the last two months, in office hours. Each has an
    acquisition channel (offline stall, parcel card, KOL post, ads, shop), a city and a
    segment (3-month pregnancy or baby-age band). Half are homogeneous; in the rest one or
    more of these is ``mixed`` (recruited across several), which is what practitioners
    contrast when they say tight groups keep members (claim 3).
Recruitment (``simulate.draw_cohort``)
    A target size, log-uniform on 40-550, and a recruitment window, lognormal with median
    35 days (2-120), over which arrivals come front-loaded, as operators push hardest at the
    start. Operators give up after 12 weeks, so some groups never reach their target.
    Owner, monitor and assistant join at creation and never leave.
Members
    Message propensity is lognormal (heavy-tailed: most members are quiet, a few talk a
    lot); 3% are KOC types who talk about 12x as much as the median member, so the
    chance that a group has several KOCs rises with its size (claim 1).
Exits (``simulate.simulate``)
    A member leaves when her cumulative hazard passes her own Exp(1) threshold. The daily
    hazard is a base rate, higher in the first weeks of a stay, times: a size factor
    lowest at the planted peak size (claim 1); a hazard ratio for mixed groups (claim 3);
    for early members, a hazard ratio on days when the group is past the threshold age
    and still short of the critical size (claim 2: slow filling makes early joiners
    doubt the group); and the promo share of the week's operator posts, with a weight
    that depends on the group's lifecycle stage (claim 4). 12% of exits are removals.
Activity
    Member messages per day are Poisson with the propensity times a size factor that
    peaks at the planted size (claim 1), a monitor-share factor peaking at the planted
    optimum (claim 5), a promo-share factor by stage (claim 4), a slow quietening with
    tenure and a weekend lift (larger for postnatal segments). Hours follow prenatal or postnatal local-hour profiles
    with the practitioners' peaks (claim 6).
Operators (``messages``)
    Owner and assistant post 2.5 times a weekday and 4 times a weekend day, in office hours;
    each post is promo with the group's planned promo share that week (its arm's share
    after assignment, noisy week to week), else an activity post (more at weekends), wet or
    dry content, with more wet content as the group ages (launch, growth, mature stage). The monitor talks so as to write her planned share of the week's
    messages. The assistant welcomes each new member within 20 minutes; system lines mark
    joins and exits.
Experiment (``groups.assign_arms``)
    Groups are randomised, in permuted blocks within channel x target-size band, to
    control (15% promo), promo_low (5%) and promo_high (35%). Groups open before month 3
    are assigned then (earlier weeks are their pre-period); later ones at creation.

The null world (``--world null``) has the same structure with every effect switched off
(peak hours aside: they stay as the practitioners state them).
"""

from helpers.synth.dataset import generate
from helpers.synth.parameters import from_file, random_world
from helpers.synth.world import World, null, planted

__all__ = ["World", "from_file", "generate", "null", "planted", "random_world"]
