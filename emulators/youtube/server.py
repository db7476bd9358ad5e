"""The YouTube emulator's HTTP server and its /_emulator control endpoints."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulators.http import BackgroundServer, send_body
from emulators.youtube.api import ApiError, Call, EmulatorConfig, EmulatorState, YouTubeApi, thumbnail_svg
from emulators.youtube.corpus import DEFAULT_INVALID_KEYS, Corpus
from maatchaa.lib.rfc3339 import parse_rfc3339


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: Any, *, content_type: str = "application/json; charset=UTF-8") -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, indent=2).encode()
        send_body(self, status, payload, content_type, {"Vary": "Origin, X-Origin, Referer"})

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        data = json.loads(self.rfile.read(length).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        path = url.path
        emulator = self.server.emulator
        if path.startswith("/youtube/v3/"):
            resource = path[len("/youtube/v3/") :].strip("/")
            # A repeated id (id=a&id=b, what the client sends for a Python list) means several ids, as on YouTube.
            params = {
                k: ",".join(v) if k == "id" else v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()
            }
            emulator.state.request_started()
            try:
                status, body = emulator.api.handle(resource, params)
                latency = emulator.state.config.latency_ms
                if latency > 0:
                    time.sleep(latency / 1000)
            finally:
                emulator.state.request_finished()
            self._send(status, body)
            return
        if path == "/_emulator/health":
            self._send(
                200, {"status": "ok", "videos": len(emulator.corpus.videos), "channels": len(emulator.corpus.channels)}
            )
        elif path == "/_emulator/calls":
            wanted = parse_qs(url.query).get("resource")
            self._send(200, {"calls": [c.as_dict() for c in emulator.calls if not wanted or c.resource in wanted]})
        elif path == "/_emulator/quota":
            self._send(200, emulator.state.usage_today())
        elif path == "/_emulator/in-flight":
            self._send(200, emulator.in_flight())
        elif path == "/_emulator/config":
            self._send(200, emulator.state.config.as_dict())
        elif path.startswith("/_emulator/thumbnails/") and path.endswith(".svg"):
            object_id = path[len("/_emulator/thumbnails/") : -len(".svg")]
            video = emulator.corpus.video(object_id)
            channel = emulator.corpus.channels.get(object_id)
            if video is None and channel is None:
                self._send(404, {"error": f"no video or channel {object_id}"})
                return
            label = video.channel_title if video else channel.title  # type: ignore[union-attr]
            self._send(200, thumbnail_svg(object_id, label).encode(), content_type="image/svg+xml")
        else:
            self._send(404, ApiError(404, "Not Found", "notFound").body())

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = urlsplit(self.path).path
        emulator = self.server.emulator
        try:
            data = self._read_json()
            if path == "/_emulator/reset":
                emulator.reset(everything=bool(data.get("all")))
                self._send(200, {"reset": True, "all": bool(data.get("all"))})
            elif path == "/_emulator/config":
                unknown = emulator.configure(**data)
                self._send(200, {"config": emulator.state.config.as_dict(), "ignored": unknown})
            elif path == "/_emulator/forget":
                emulator.forget(video_ids=data.get("video_ids", []), channel_ids=data.get("channel_ids", []))
                self._send(
                    200,
                    {
                        "forgotten_videos": sorted(emulator.state.forgotten_videos),
                        "forgotten_channels": sorted(emulator.state.forgotten_channels),
                    },
                )
            elif path == "/_emulator/update":
                updates = data.get("videos") or {
                    data["video_id"]: {**data.get("statistics", {}), **data.get("snippet", {})}
                }
                for video_id, stats in updates.items():
                    emulator.update_video(video_id, **stats)
                self._send(200, {"updated": sorted(updates)})
            else:
                self._send(404, {"error": f"unknown control endpoint {path}"})
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": f"bad control request: {exc}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: EmulatorServer
    verbose: bool


STAT_NAMES = {
    "view_count": "viewCount",
    "like_count": "likeCount",
    "comment_count": "commentCount",
    "viewCount": "viewCount",
    "likeCount": "likeCount",
    "commentCount": "commentCount",
}


class EmulatorServer:
    """The emulator on a loopback port: `start()` serves from a background thread, `stop()` ends it."""

    def __init__(
        self,
        corpus: Corpus,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        search_calls_per_day: int = 100,
        units_per_day: int = 10_000,
        error_rate: float = 0.0,
        rate_limit_rate: float = 0.0,
        latency_ms: int = 0,
        seed: int = 0,
        invalid_keys: Iterable[str] = DEFAULT_INVALID_KEYS,
        clock: Callable[[], datetime] | None = None,
        verbose: bool = False,
        public_url: str = "",
    ) -> None:
        config = EmulatorConfig(
            search_calls_per_day=search_calls_per_day,
            units_per_day=units_per_day,
            error_rate=error_rate,
            rate_limit_rate=rate_limit_rate,
            latency_ms=latency_ms,
            seed=seed,
            invalid_keys=frozenset(invalid_keys),
        )
        self.corpus = corpus
        self.state = EmulatorState(corpus, config, clock)
        self.host = host
        self._httpd = _Server((host, port), _Handler)
        self._httpd.emulator = self
        self._httpd.verbose = verbose
        # Thumbnail URLs carry `public_url` when given: the demo's in-process emulator writes the address
        # `make serve`'s emulator answers at, so the stored images load there.
        self.public_url = public_url.rstrip("/") + "/" if public_url else ""
        self.api = YouTubeApi(self.state, lambda: self.public_url or self.url)
        self._background = BackgroundServer(self._httpd, name="youtube-emulator")

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def calls(self) -> list[Call]:
        with self.state.lock:
            return list(self.state.calls)

    def usage(self) -> dict[str, int | str]:
        return self.state.usage_today()

    def in_flight(self) -> dict[str, int]:
        """API requests being served now, and the most served at once since the last reset."""
        with self.state.lock:
            return {"in_flight": self.state.in_flight, "most_in_flight": self.state.most_in_flight}

    @property
    def most_in_flight(self) -> int:
        return self.in_flight()["most_in_flight"]

    def start(self) -> EmulatorServer:
        self._background.start()
        return self

    def serve_forever(self) -> None:
        self._background.serve_forever()

    def stop(self) -> None:
        self._background.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self, *, everything: bool = False) -> None:
        """Clear the calls log and today's quota; with everything=True also faults, budgets, forgets, updates."""
        self.state.reset(everything=everything)

    def configure(self, **values: Any) -> list[str]:
        """Change budgets, faults, latency, seed, invalid keys, fail_next, fail_queries, gather, or freeze the
        clock (`now`)."""
        with self.state.lock:
            unknown = self.state.config.update(values)
            if "seed" in values:
                self.state.random = random.Random(self.state.config.seed)
            if "gather" in values:  # armed by configuring it: a plain reset leaves a spent gather spent
                self.state.gathered = 0
            if "now" in values:
                now = values["now"]
                self.state.frozen_now = None if now is None else (parse_rfc3339(now) if isinstance(now, str) else now)
        return unknown

    def forget(self, *, video_ids: Iterable[str] = (), channel_ids: Iterable[str] = ()) -> None:
        """YouTube no longer returns these (deleted, made private): absent from every answer."""
        with self.state.lock:
            self.state.forgotten_videos.update(video_ids)
            self.state.forgotten_channels.update(channel_ids)

    def calls_to(self, resource: str) -> list[Call]:
        return [call for call in self.calls if call.resource == resource]

    def update(self, video_id: str, **statistics: int) -> None:
        self.update_video(video_id, **statistics)

    def update_video(self, video_id: str, **changes: Any) -> None:
        """Change a video as served from now on: statistics (view_count/viewCount, like_count/likeCount,
        comment_count/commentCount) and text (title, description, tags). Search still ranks the original text."""
        if self.corpus.video(video_id) is None:
            raise KeyError(f"no video {video_id} in the corpus")
        with self.state.lock:
            stats = self.state.stat_overrides.setdefault(video_id, {})
            text = self.state.text_overrides.setdefault(video_id, {})
            for name, value in changes.items():
                if name in STAT_NAMES:
                    stats[STAT_NAMES[name]] = int(value)
                elif name in ("title", "description"):
                    text[name] = str(value)
                elif name == "tags":
                    text[name] = tuple(str(t) for t in value)
                else:
                    raise ValueError(f"unknown video field {name}")
