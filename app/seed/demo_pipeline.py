"""The demo's pipeline: the stages, deals whose stage history spreads over six months, and lifecycles that follow them."""
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, DealStageChange, Stage
from app.models.deals import DEFAULT_STAGES
from app.seed.demo_names import DEAL_TITLES, LOST_REASONS, VN

HISTORY_DAYS = 180  # the oldest stage change of a general deal: reports by month have six months to show
# How many general deals end in each stage (the quotes' deals come on top, from demo_quotes).
PLAN = (("new", 6), ("consulting", 6), ("quote_sent", 5), ("negotiation", 5), ("won", 6), ("lost", 4))


def ensure_stages():
    """Create the default pipeline stages when there are none (the caller commits); returns them in order."""
    if not db.session.scalar(select(func.count(Stage.id))):
        for position, (key, vi, en, probability, won, lost) in enumerate(DEFAULT_STAGES, start=1):
            db.session.add(Stage(key=key, name_vi=vi, name_en=en, position=position, probability=probability,
                                 is_won=won, is_lost=lost))
        db.session.flush()
    return list(db.session.scalars(select(Stage).order_by(Stage.position)))


def add_deal(demo, customer, path, moments, title, value_vnd, expected_close=None, lost_reason=None):
    """A deal that went through the stage keys of path at moments (oldest first), with its stage changes."""
    stage = demo.stages[path[-1]]
    deal = Deal(customer=customer, owner=customer.owner, stage=stage, title=title, value_vnd=value_vnd,
                stage_entered_at=moments[-1], created_at=moments[0], updated_at=moments[-1],
                expected_close=expected_close or (demo.today + timedelta(days=demo.rng.randint(7, 60)) if stage.is_open
                                                  else moments[-1].astimezone(VN).date()),
                closed_at=None if stage.is_open else moments[-1], lost_reason=lost_reason if stage.is_lost else None)
    db.session.add(deal)
    previous = None
    for key, moment in zip(path, moments):
        db.session.add(DealStageChange(deal=deal, from_stage=previous, to_stage=demo.stages[key],
                                       changed_by=customer.owner, changed_at=moment))
        previous = demo.stages[key]
    demo.deals_of[customer].append(deal)
    return deal


def path_to(key, rng):
    """The stage keys a deal went through to end in key (a lost deal drops out somewhere on the way)."""
    order = [k for k, *_rest in DEFAULT_STAGES if k not in ("won", "lost")]
    if key == "won":
        return order + ["won"]
    if key == "lost":
        return order[:rng.randint(1, 4)] + ["lost"]
    return order[:order.index(key) + 1]


def moments_of(demo, path, last_days_ago):
    """When each stage of path was entered: the last one last_days_ago, each before it 4–20 days earlier."""
    rng = demo.rng
    moments = [demo.now - timedelta(days=last_days_ago, hours=rng.randint(1, 8))]
    for _ in path[1:]:
        moments.insert(0, moments[0] - timedelta(days=rng.randint(4, 20), hours=rng.randint(0, 12)))
    oldest = demo.now - timedelta(days=HISTORY_DAYS)
    if moments[0] < oldest:  # squeeze into the six months, keeping the order
        span, total = moments[-1] - oldest, moments[-1] - moments[0]
        moments = [oldest + (m - moments[0]) * (span / total) for m in moments]
    return moments


def add_general_deals(demo):
    """Deals over every stage; closed ones spread over six months, open ones moved within the last seven weeks."""
    rng = demo.rng
    plan = [key for key, count in PLAN for _ in range(count)]
    rng.shuffle(plan)
    candidates = [c for c in demo.customers if c.owner is not demo.admin]
    for i, (customer, key) in enumerate(zip(rng.sample(candidates, 26) + rng.sample(candidates, 6), plan)):
        path = path_to(key, rng)
        closed = key in ("won", "lost")
        last = rng.randint(3, HISTORY_DAYS - 30) if closed else rng.randint(0, 50)
        value = rng.randint(300_000, 900_000) if i % 9 == 4 else rng.randint(5_000, 250_000)
        add_deal(demo, customer, path, moments_of(demo, path, last),
                 rng.choice(DEAL_TITLES).format(n=rng.randint(2, 30)), value * 1000,
                 lost_reason=rng.choice(LOST_REASONS))


def lifecycle_for(deals, current):
    """The lifecycle the deals call for: won → customer; an open deal → lead (still new) or prospect;
    no deal: as it was, except that churned needs no open deal (there is none then)."""
    if any(d.stage.is_won for d in deals):
        return "customer"
    open_deals = [d for d in deals if d.stage.is_open]
    if open_deals:
        return "lead" if all(d.stage.key == "new" for d in open_deals) else "prospect"
    if deals:  # only lost deals: they never bought; a few of them went quiet for good
        return "churned" if current == "churned" else "prospect"
    return current


def align_lifecycles(demo):
    """Set every customer's lifecycle from its deals (run last: the quotes' answers move deals too)."""
    rng = demo.rng
    for customer in demo.customers:
        deals = list(db.session.scalars(select(Deal).where(Deal.customer_id == customer.id)))
        current = rng.choices(("lead", "prospect", "customer", "churned"), weights=(40, 30, 15, 15))[0]
        customer.lifecycle = lifecycle_for(deals, current)
    db.session.commit()
