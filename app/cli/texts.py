"""shopcare outbox send and test."""
from __future__ import annotations

from dataclasses import asdict

from app.cli.env import EXIT_ERROR, EXIT_OK, Env
from app.cli.messages import msg
from app.errors import render


# texts: gateways and sending
def cmd_outbox_send(env: Env) -> int:
    from app.adapters.sms import make_gateway
    from app.services.base.ports import GatewayError
    from app.services.texts import sender

    ctx = env.open()
    gateway = make_gateway()
    env.say(msg("outbox_gateway", env.lang, kind=gateway.kind, sender=gateway.sender))
    recovered = sender.recover_stale(ctx)
    if recovered:
        env.say_err(msg("outbox_recovered", env.lang, n=recovered))
    totals = dict(sent=0, failed=0, deferred=0, retried=0, unknown=0, cancelled=0)
    batch = 100
    try:
        while True:
            report = sender.send_due(ctx, gateway, limit=batch)
            for key in totals:
                totals[key] += getattr(report, key)
            if sum(getattr(report, key) for key in totals) < batch:
                break
    except GatewayError as exc:
        done = exc.params.get("report")
        for key in totals:
            totals[key] += getattr(done, key, 0)
        env.say(msg("outbox_sent", env.lang, **totals))
        raise
    env.say(msg("outbox_sent", env.lang, **totals))
    try:
        from app.services.care import satisfaction
        from app.services.ledger import balance_reply

        polled = sender.poll(ctx, gateway, on_score=satisfaction.after_score, balances=balance_reply.values)
    except GatewayError as exc:
        if exc.stops_sending:
            raise
        env.say_err(msg("outbox_poll_failed", env.lang, why=render(exc, env.lang)))
        return EXIT_OK
    env.say(msg("outbox_polled", env.lang, **asdict(polled)))
    if polled.balances:
        env.say(msg("outbox_balances", env.lang, balances=polled.balances))
    return EXIT_OK


def cmd_outbox_test(env: Env) -> int:
    from app.adapters.sms import make_gateway
    from app.services.texts import sender

    ctx = env.open()
    gateway = make_gateway()
    result = sender.send_test(ctx, gateway, env.args.phone, env.args.text)
    env.say(msg("outbox_test", env.lang, id=result.message_id, phone=env.args.phone, status=result.status))
    env.say(result.answer)
    return EXIT_OK if result.status == "sent" else EXIT_ERROR
