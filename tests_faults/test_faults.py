"""Delivery promises of Pushover Plus under faults, checked on a real `hass` process.

Home Assistant sends through the fault proxy to the simulator. Each scenario prints its
figure (``FAULTS: name: key=value ...``), then asserts a promise of the delivery path
(issue 14): nothing held or sent is lost or multiplied under hard kills, clean stops,
refusals, boot-time outages, short outages, hangs and slow answers. Every wait has a
deadline; the figures say what was seen when one passed.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from .harness import SendOutcome, Tally, poll_until
from .suite import KillAt, Scenario, Sender

pytestmark = pytest.mark.asyncio(loop_scope="session")

BURST = 200
KILL_DELAY = 0.3  # seconds after the last held answer, or the last delivery, to kill
RECOVERY = 45.0  # seconds to deliver what is held after a restart or an outage
FLUSH_START = 60.0  # seconds for the flush to reach the kill point once the proxy passes
OBSERVE = 10.0  # seconds to watch for further refused requests after the first one


def held_count(outcomes: list[SendOutcome]) -> int:
    """Return how many sends were answered held."""
    return sum(outcome.status == "held" for outcome in outcomes)


def expect_all_held(scenario: Scenario, outcomes: list[SendOutcome]) -> None:
    """Expect every send answered held (the proxy refused every connection)."""
    scenario.expect(
        held_count(outcomes) == len(outcomes),
        f"all {len(outcomes)} sends answered held while connections were refused",
        scenario.statuses(outcomes),
    )


def expect_no_loss(scenario: Scenario, tally: Tally, max_duplicates: int) -> None:
    """Every message arrived, with at most ``max_duplicates`` extra copies."""
    scenario.expect(
        not tally.lost,
        "0 lost",
        f"{len(tally.lost)} lost (first: {tally.lost[:3]}), {len(tally.received)} received",
    )
    scenario.expect(
        tally.duplicates <= max_duplicates,
        f"duplicates <= {max_duplicates}",
        f"{tally.duplicates} duplicates",
    )


def refused_sends(scenario: Scenario, sender: Sender) -> int:
    """Return how many of the sender's sends the proxy refused on purpose."""
    return sum(r.outcome != "pass" for r in scenario.proxy.sends(sender.token))


def texts_for(tag: str, count: int) -> list[str]:
    """Return distinct message texts."""
    return [f"{tag} {number}" for number in range(count)]


async def started_every(
    scenario: Scenario, sender: Sender, texts: list[str], interval: float, answer_within: float
) -> list[asyncio.Task[SendOutcome]]:
    """Start one send every ``interval`` seconds (each call may block); return the calls."""
    calls: list[asyncio.Task[SendOutcome]] = []
    for number, text in enumerate(texts):
        if number:
            await asyncio.sleep(interval)
        calls.append(
            asyncio.create_task(scenario.api.send(sender.notify, text, answer_within=answer_within))
        )
    return calls


@pytest.mark.timeout(180)
async def test_baseline_pass_through(scenario: Scenario) -> None:
    """Without faults the proxy passes every send once: 0 lost, 0 duplicates, in order."""
    sender = await scenario.add_sender("Baseline")
    texts = texts_for("baseline", BURST)

    outcomes = await scenario.send_each(sender, texts)
    tally = await scenario.wait_delivered(sender, texts, within=30)

    scenario.suite.figure(
        "baseline-pass-200",
        sent=sum(o.status == "sent" for o in outcomes),
        lost=len(tally.lost),
        duplicates=tally.duplicates,
        in_order=tally.in_order,
        seconds=f"{sum(o.seconds for o in outcomes):.1f}",
    )
    scenario.expect(
        all(o.status == "sent" for o in outcomes), "all sent", scenario.statuses(outcomes)
    )
    expect_no_loss(scenario, tally, max_duplicates=0)
    scenario.expect(tally.in_order, "arrival in send order", tally.order())
    scenario.finish()


@pytest.mark.timeout(300)
async def test_sigkill_right_after_200_holds(scenario: Scenario) -> None:
    """SIGKILL 0.3 s after 200 sends were answered held: after a restart, all arrive."""
    sender = await scenario.add_sender("Kill after holds")
    texts = texts_for("after-holds", BURST)

    outcomes = await scenario.hold_all(sender, texts)
    await asyncio.sleep(KILL_DELAY)
    in_flight = scenario.proxy.in_flight(token=sender.token)
    await scenario.ha.kill()
    await scenario.proxy.passing()
    await scenario.restart(sender)
    held_after_restart = await scenario.held(sender)
    tally = await scenario.wait_delivered(sender, texts, within=RECOVERY)

    scenario.suite.figure(
        "sigkill-after-200-holds",
        held=held_count(outcomes),
        held_after_restart=held_after_restart,
        lost=len(tally.lost),
        duplicates=tally.duplicates,
        in_flight_at_kill=in_flight,
    )
    expect_all_held(scenario, outcomes)
    expect_no_loss(scenario, tally, max_duplicates=in_flight)
    scenario.finish()


@pytest.mark.timeout(600)
async def test_sigkill_during_and_right_after_the_flush(scenario: Scenario) -> None:
    """SIGKILL at 100 of 200 delivered, and 0.3 s after all 200: 0 lost, few duplicates.

    At most the sends in flight at the kill may arrive twice.
    """
    sender = await scenario.add_sender("Kill during flush")

    # During: the 100th answer is on its way back when Home Assistant dies.
    texts = texts_for("during-flush", BURST)
    outcomes = await scenario.hold_all(sender, texts)
    kill = KillAt(scenario, sender, after=BURST // 2, sig=signal.SIGKILL)
    await scenario.proxy.passing()
    killed = await kill.wait(within=FLUSH_START)
    if killed:
        await scenario.restart(sender)
    tally = await scenario.wait_delivered(sender, texts, within=RECOVERY)
    scenario.suite.figure(
        "sigkill-during-flush",
        held=held_count(outcomes),
        killed=killed,
        delivered_before_kill=kill.received,
        lost=len(tally.lost),
        duplicates=tally.duplicates,
        in_flight_at_kill=kill.in_flight,
    )
    expect_all_held(scenario, outcomes)
    scenario.expect(
        killed,
        f"the flush to reach {BURST // 2} deliveries within {FLUSH_START:.0f} s",
        f"{kill.accepted} delivered",
    )
    expect_no_loss(scenario, tally, max_duplicates=kill.in_flight)

    # Right after: every answer was back 0.3 s before the kill.
    texts = texts_for("after-flush", BURST)
    outcomes = await scenario.hold_all(sender, texts)
    await scenario.proxy.passing()
    flushed = await scenario.wait_received(
        sender, texts, within=FLUSH_START + RECOVERY, closely=True
    )
    if flushed:
        await scenario.proxy.wait_idle(token=sender.token, within=10)
    await asyncio.sleep(KILL_DELAY)
    in_flight = scenario.proxy.in_flight(token=sender.token)
    await scenario.ha.kill()
    await scenario.restart(sender)
    held_after_restart = await scenario.held(sender)
    await scenario.settle(sender, within=RECOVERY)
    tally = scenario.tally(sender, texts)
    scenario.suite.figure(
        "sigkill-0.3s-after-flush",
        held=held_count(outcomes),
        flushed_before_kill=flushed,
        held_after_restart=held_after_restart,
        lost=len(tally.lost),
        duplicates=tally.duplicates,
        in_flight_at_kill=in_flight,
    )
    expect_all_held(scenario, outcomes)
    scenario.expect(
        flushed, f"the flush to deliver all {BURST} before the kill", str(len(tally.received))
    )
    expect_no_loss(scenario, tally, max_duplicates=in_flight)
    scenario.finish()


@pytest.mark.timeout(300)
async def test_sigterm_during_the_flush(scenario: Scenario) -> None:
    """SIGTERM at 100 of 200 delivered: the clean stop accounts the send in flight.

    After the restart all 200 arrive, none twice.
    """
    sender = await scenario.add_sender("Stop during flush")
    texts = texts_for("sigterm", BURST)

    outcomes = await scenario.hold_all(sender, texts)
    stop = KillAt(scenario, sender, after=BURST // 2, sig=signal.SIGTERM)
    await scenario.proxy.passing()
    signaled = await stop.wait(within=FLUSH_START)
    stopped_at = time.monotonic()
    stopped = signaled and await scenario.ha.wait_exit(60)
    stop_seconds = time.monotonic() - stopped_at
    if signaled and not stopped:
        await scenario.ha.kill()
    if signaled:
        await scenario.restart(sender)
    tally = await scenario.wait_delivered(sender, texts, within=RECOVERY)

    scenario.suite.figure(
        "sigterm-during-flush",
        held=held_count(outcomes),
        delivered_before_stop=stop.received,
        in_flight_at_stop=stop.in_flight,
        stop_seconds=f"{stop_seconds:.1f}",
        lost=len(tally.lost),
        duplicates=tally.duplicates,
    )
    expect_all_held(scenario, outcomes)
    scenario.expect(
        signaled,
        f"the flush to reach {BURST // 2} deliveries within {FLUSH_START:.0f} s",
        f"{stop.accepted} delivered",
    )
    scenario.expect(stopped, "Home Assistant to stop within 60 s of SIGTERM", "still running")
    expect_no_loss(scenario, tally, max_duplicates=0)
    scenario.finish()


@pytest.mark.timeout(300)
async def test_account_refusals_during_a_flush_keep_the_queue(scenario: Scenario) -> None:
    """An HTML 403 and a rejected token during a flush: 1 refused request, queue kept.

    The rejected token also starts a reauth flow. Both run at once, on two entries.
    """
    portal = await scenario.add_sender("Captive portal")
    revoked = await scenario.add_sender("Token revoked")
    count = 20

    await scenario.proxy.refuse()
    outcomes = await asyncio.gather(
        scenario.send_each(portal, texts_for("portal", count)),
        scenario.send_each(revoked, texts_for("revoked", count)),
    )
    held_before = [await scenario.held(portal), await scenario.held(revoked)]
    scenario.proxy.fault("html403", token=portal.token)
    scenario.proxy.fault("token400", token=revoked.token)
    await scenario.proxy.accept()

    def refused(sender: Sender) -> int:
        return refused_sends(scenario, sender)

    tried = await poll_until(
        lambda: refused(portal) > 0 and refused(revoked) > 0, within=FLUSH_START
    )
    await asyncio.sleep(OBSERVE)
    held_after = [await scenario.held(portal), await scenario.held(revoked)]
    reauth = [
        flow
        for flow in await scenario.api.flows_in_progress()
        if flow["handler"] == "pushover_plus"
        and flow["context"].get("source") == "reauth"
        and flow["context"].get("entry_id") == revoked.entry_id
    ]
    issues = await scenario.api.ws({"type": "repairs/list_issues"})
    portal_issues = [
        issue["issue_id"]
        for issue in issues["issues"]
        if issue["domain"] == "pushover_plus" and portal.entry_id in issue["issue_id"]
    ]

    for sender, name, sent, before, after in zip(
        (portal, revoked),
        ("html-403-during-flush", "token-rejected-during-flush"),
        outcomes,
        held_before,
        held_after,
        strict=True,
    ):
        scenario.suite.figure(
            name,
            held_before=before,
            held_after=after,
            refused_requests=refused(sender),
            delivered=len(scenario.received(sender)),
            **(
                {"reauth_started": bool(reauth)}
                if sender is revoked
                else {"repair_issues": ",".join(portal_issues) or None}
            ),
        )
        expect_all_held(scenario, sent)
        scenario.expect(
            after == before == count,
            f"{sender.title}: the held sensor to stay at {count}",
            f"{before} before, {after} after",
        )
        scenario.expect(
            refused(sender) == 1,
            f"{sender.title}: exactly 1 refused request within {OBSERVE:.0f} s of the first",
            f"{refused(sender)} (flush attempted: {tried})",
        )
    scenario.expect(bool(reauth), "a reauth flow for the rejected token", "none in progress")
    scenario.finish()


@pytest.mark.timeout(300)
async def test_quota_429_with_a_past_reset_during_a_flush_waits(scenario: Scenario) -> None:
    """A 429 whose reset time is already past: the queue waits (an hour), 1 request."""
    sender = await scenario.add_sender("Quota exceeded")
    count = 5

    outcomes = await scenario.hold_all(sender, texts_for("quota", count))
    held_before = await scenario.held(sender)
    scenario.proxy.fault("quota429", token=sender.token)
    await scenario.proxy.accept()
    tried = await poll_until(lambda: refused_sends(scenario, sender) > 0, within=FLUSH_START)
    await asyncio.sleep(OBSERVE)
    held_after = await scenario.held(sender)

    scenario.suite.figure(
        "quota-429-past-reset-during-flush",
        held_before=held_before,
        held_after=held_after,
        refused_requests=refused_sends(scenario, sender),
        delivered=len(scenario.received(sender)),
    )
    expect_all_held(scenario, outcomes)
    scenario.expect(
        held_after == held_before == count,
        f"the held sensor to stay at {count}",
        f"{held_before} before, {held_after} after",
    )
    scenario.expect(
        refused_sends(scenario, sender) == 1,
        f"exactly 1 refused request within {OBSERVE:.0f} s of the first",
        f"{refused_sends(scenario, sender)} (flush attempted: {tried})",
    )
    scenario.finish()


@pytest.mark.timeout(300)
async def test_boot_during_an_outage(scenario: Scenario) -> None:
    """Home Assistant starts while Pushover is unreachable: the entry loads anyway.

    Sends are answered held and delivered once Pushover answers again.
    """
    sender = await scenario.add_sender("Boot offline")
    texts = texts_for("boot-offline", 5)

    await scenario.ha.stop()
    await scenario.proxy.refuse()
    await scenario.ha.start()
    entry_state = await scenario.wait_loaded(sender)
    notify = await scenario.api.state(sender.notify)
    outcomes = await scenario.send_each(sender, texts)
    await scenario.proxy.passing()
    tally = await scenario.wait_delivered(sender, texts, within=RECOVERY)

    scenario.suite.figure(
        "boot-during-outage",
        entry_state=entry_state,
        notify_state=None if notify is None else notify["state"],
        held=f"{held_count(outcomes)}/{len(texts)}",
        delivered=f"{len(texts) - len(tally.lost)}/{len(texts)}",
        duplicates=tally.duplicates,
    )
    scenario.expect(entry_state == "loaded", "the entry loaded", str(entry_state))
    scenario.expect(
        notify is not None and notify["state"] != "unavailable",
        f"{sender.notify} available",
        "missing" if notify is None else notify["state"],
    )
    expect_all_held(scenario, outcomes)
    expect_no_loss(scenario, tally, max_duplicates=0)
    scenario.finish()


@pytest.mark.timeout(400)
async def test_order_across_a_short_outage_and_under_a_hang(scenario: Scenario) -> None:
    """One send every 2 s through 11 s of refused connections, then through a 20 s hang.

    Both times every message arrives, in the order sent.
    """
    outage_sender = await scenario.add_sender("Order outage")
    texts = texts_for("outage", 10)

    async def outage() -> None:
        await asyncio.sleep(3.0)
        await scenario.proxy.refuse()
        await asyncio.sleep(11.0)
        await scenario.proxy.accept()

    outage_task = asyncio.create_task(outage())
    calls = await started_every(scenario, outage_sender, texts, interval=2.0, answer_within=90)
    await outage_task
    outcomes = await Scenario.gather_sends(calls)
    tally = await scenario.wait_delivered(outage_sender, texts, within=RECOVERY)
    scenario.suite.figure(
        "order-across-outage",
        order=tally.order(),
        held=held_count(outcomes),
        lost=len(tally.lost),
        duplicates=tally.duplicates,
        slowest_call=f"{max(o.seconds for o in outcomes):.1f}s",
    )
    scenario.expect(tally.in_order, "arrival in send order 0..9", tally.order())
    expect_no_loss(scenario, tally, max_duplicates=0)

    hang_sender = await scenario.add_sender("Order hang")
    texts = texts_for("hang", 6)
    hang = scenario.proxy.fault("hang", token=hang_sender.token)
    hang_started = time.monotonic()
    calls = await started_every(scenario, hang_sender, texts, interval=2.0, answer_within=90)
    await asyncio.sleep(max(0.0, 20.0 - (time.monotonic() - hang_started)))
    scenario.proxy.rules.remove(hang)
    outcomes = await Scenario.gather_sends(calls)
    tally = await scenario.wait_delivered(hang_sender, texts, within=RECOVERY + 15)
    scenario.suite.figure(
        "order-under-hang",
        order=tally.order(),
        held=held_count(outcomes),
        lost=len(tally.lost),
        duplicates=tally.duplicates,
        slowest_call=f"{max(o.seconds for o in outcomes):.1f}s",
        answers=scenario.statuses(outcomes).replace(" ", "_"),
    )
    scenario.expect(tally.in_order, "arrival in send order 0..5", tally.order())
    expect_no_loss(scenario, tally, max_duplicates=len(texts))
    scenario.finish()


@pytest.mark.timeout(300)
async def test_slow_server_past_the_timeout(scenario: Scenario) -> None:
    """Answers come 20 s late (the timeout is 15 s) for 40 s: each message at most twice."""
    sender = await scenario.add_sender("Slow server")
    texts = texts_for("slow", 2)

    slow = scenario.proxy.fault("late", token=sender.token, delay=20.0)
    calls = await started_every(scenario, sender, texts, interval=0.5, answer_within=120)
    await asyncio.sleep(40.0)
    scenario.proxy.rules.remove(slow)
    outcomes = await Scenario.gather_sends(calls)
    settled = await scenario.settle(sender, within=RECOVERY + 15)
    tally = scenario.tally(sender, texts)

    scenario.suite.figure(
        "slow-server-past-timeout",
        copies=",".join(str(tally.counts[text]) for text in texts),
        most_copies=tally.most_copies,
        requests=len(scenario.proxy.sends(sender.token)),
        settled=settled,
        answers=scenario.statuses(outcomes).replace(" ", "_"),
    )
    scenario.expect(
        tally.most_copies <= 2,
        "each message at the simulator at most twice",
        f"copies {dict(tally.counts)}",
    )
    scenario.expect(not tally.lost, "each message at the simulator at least once", str(tally.lost))
    scenario.finish()


@pytest.mark.timeout(300)
async def test_lost_response_on_an_emergency(scenario: Scenario) -> None:
    """The answer to an emergency alert is lost after Pushover accepted it.

    Exactly one alert is left ringing at the simulator.
    """
    sender = await scenario.add_sender("Emergency")
    scenario.proxy.fault("drop", token=sender.token, count=1)

    outcome = await scenario.api.send(
        sender.notify, "emergency water", priority=2, retry=30, expire=300
    )
    await scenario.wait_delivered(sender, ["emergency water"], within=RECOVERY)
    await scenario.settle(sender, within=RECOVERY)
    receipts = [s for s in scenario.simulator.receipts.values() if s.token == sender.token]
    active = scenario.simulator.active_receipts(sender.token)
    tracked = await scenario.api.state(sender.alerts_sensor)

    scenario.suite.figure(
        "emergency-lost-response",
        answer=outcome.describe().replace(" ", "_"),
        receipts=len(receipts),
        active=len(active),
        canceled=sum(s.canceled for s in receipts),
        tracked=None if tracked is None else tracked["state"],
        answered_receipt_active=outcome.receipt is None
        or outcome.receipt in {s.receipt for s in active},
    )
    scenario.expect(
        len(active) == 1,
        "exactly 1 active (unacknowledged, uncanceled) alert at the simulator",
        f"{len(active)} active of {len(receipts)}",
    )
    scenario.finish()


@pytest.mark.timeout(300)
async def test_two_senders_and_a_receiver_share_two_requests(scenario: Scenario) -> None:
    """Two sender entries and a receiver busy at once: at most 2 requests in flight in total.

    Answers are held 0.3 s so that requests overlap; the receiver downloads what arrives.
    """
    email, password = "budget@example.com", "budget-password"
    user = scenario.simulator.add_user(devices=("phone",), email=email, password=password)
    first = await scenario.add_sender("Budget A", user=user)
    second = await scenario.add_sender("Budget B", user=user)
    await scenario.add_receiver("budgetreceiver", email=email, password=password)
    device = next(
        d for d in scenario.simulator.open_client_devices.values() if d.name == "budgetreceiver"
    )
    listening = await poll_until(
        lambda: device.device_id in scenario.simulator.websocket_logins, within=30
    )
    texts = {first.title: texts_for("budget A", 10), second.title: texts_for("budget B", 10)}
    everything = [*texts[first.title], *texts[second.title]]

    scenario.proxy.reset_stats()
    scenario.proxy.fault("late", path=None, delay=0.3)
    outcomes = await asyncio.gather(
        *(
            scenario.api.send(sender.notify, text, answer_within=90)
            for sender in (first, second)
            for text in texts[sender.title]
        )
    )
    delivered = await scenario.wait_received(first, everything, within=RECOVERY)
    drained = await poll_until(lambda: not device.queue, within=RECOVERY)
    await scenario.proxy.passing()
    receiver_requests = sum(r.token is None for r in scenario.proxy.requests)

    scenario.suite.figure(
        "two-senders-and-receiver",
        max_in_flight=scenario.proxy.max_in_flight,
        max_open_connections=scenario.proxy.max_open_connections,
        requests=len(scenario.proxy.requests),
        receiver_requests=receiver_requests,
        delivered=delivered,
        receiver_drained=drained,
        answers=scenario.statuses(list(outcomes)).replace(" ", "_"),
    )
    scenario.expect(listening, "the receiver's websocket logged in", "no login within 30 s")
    scenario.expect(
        scenario.proxy.max_in_flight <= 2,
        "at most 2 requests in flight to the Pushover host",
        f"{scenario.proxy.max_in_flight}",
    )
    scenario.expect(delivered and drained, "all 20 delivered and downloaded", "not all")
    scenario.finish()
