"""Uploads checked before sending (missing, oversized, wrong format) and TTS streamed to disk."""

from __future__ import annotations

import asyncio
import io
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tinytalk_sdk import APIResponseError, ValidationError
from tinytalk_sdk._files import check_audio_file, sniff_audio_format

from .conftest import err, make_async_client, make_client, ok


def write_wav(path: Path, seconds: float = 0.2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(struct.pack("<h", 0) * int(16000 * seconds))
    return path


@pytest.fixture
def calls() -> list[httpx.Request]:
    return []


def recorder(calls: list[httpx.Request], response: httpx.Response):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(request)
        return response
    return handler


@pytest.mark.parametrize(
    ("head", "fmt"),
    [(b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"), (b"ID3\x04", "mp3"), (b"\xff\xfb\x90\x00", "mp3"),
     (b"\x00\x00\x00\x20ftypM4A ", "m4a"), (b"\x1a\x45\xdf\xa3\x01", "webm"), (b"OggS\x00", "ogg"),
     (b"hello world", None)],
)
def test_sniff(head: bytes, fmt: str | None) -> None:
    assert sniff_audio_format(head) == fmt


def test_missing_file(tmp_path: Path, calls: list[httpx.Request]) -> None:
    client = make_client(recorder(calls, ok({"text": ""})))
    with pytest.raises(ValidationError, match=r"nope\.wav: no such file"):
        client.pipeline.transcribe(tmp_path / "nope.wav")
    assert calls == []


def test_oversized_file(tmp_path: Path, calls: list[httpx.Request]) -> None:
    big = tmp_path / "big.wav"
    with big.open("wb") as fh:
        fh.write(b"RIFF\x00\x00\x00\x00WAVE")
        fh.truncate(25 * 1024 * 1024 + 1)  # sparse: instant
    client = make_client(recorder(calls, ok({"text": ""})))
    with pytest.raises(ValidationError, match="over the 25 MB upload limit"):
        client.pipeline.transcribe(big)
    assert calls == []


def test_wrong_format(tmp_path: Path) -> None:
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(ValidationError, match=r"unsupported audio format '\.txt'"):
        check_audio_file(txt)
    fake = tmp_path / "fake.mp3"
    fake.write_text("<html>not audio</html>")
    with pytest.raises(ValidationError, match="extension says mp3 but the content is not a recognisable audio"):
        check_audio_file(fake)
    wav_as_ogg = write_wav(tmp_path / "x.ogg")
    with pytest.raises(ValidationError, match="extension says ogg but the content is a wav file"):
        check_audio_file(wav_as_ogg)
    empty = tmp_path / "e.wav"
    empty.touch()
    with pytest.raises(ValidationError, match="empty"):
        check_audio_file(empty)


def test_transcribe_multipart_with_progress(tmp_path: Path, calls: list[httpx.Request]) -> None:
    path = write_wav(tmp_path / "hello.wav", seconds=5)  # 160 kB: several 64 kB chunks
    client = make_client(recorder(calls, ok({"text": "hello", "language": "en", "duration_seconds": 5.0,
                                             "audio_url": "/uploads/x.wav"})))
    seen: list[tuple[int, int]] = []
    got = client.pipeline.transcribe(path, session_id=7, progress=lambda d, t: seen.append((d, t)))
    assert got.text == "hello" and got.duration_seconds == 5.0
    req = calls[0]
    assert req.headers["content-type"].startswith("multipart/form-data")
    assert b'name="session_id"\r\n\r\n7' in req.content
    assert b'filename="hello.wav"' in req.content and b"Content-Type: audio/wav" in req.content
    assert path.read_bytes() in req.content
    size = path.stat().st_size
    assert len(seen) >= 3 and seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert req.headers.get("idempotency-key")


def test_transcribe_retry_resends_the_whole_file(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav")
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return err(503, "unavailable", "busy") if len(bodies) == 1 else ok({"text": "hi"})

    client = make_client(handler)
    assert client.pipeline.transcribe(path).text == "hi"
    assert len(bodies) == 2 and path.read_bytes() in bodies[1]


class AudioChunks(httpx.SyncByteStream):
    def __init__(self, n: int, size: int) -> None:
        self.n, self.size, self.max_pending = n, size, 0

    def __iter__(self) -> Iterator[bytes]:
        for i in range(self.n):
            yield bytes([i % 256]) * self.size


def test_speak_streams_to_file(tmp_path: Path, calls: list[httpx.Request]) -> None:
    body = AudioChunks(20, 50_000)
    client = make_client(recorder(calls, httpx.Response(
        200, headers={"Content-Type": "audio/mpeg", "Content-Length": str(20 * 50_000)}, stream=body)))
    out = tmp_path / "out.mp3"
    progress: list[tuple[int, int]] = []
    result = client.pipeline.speak(text="Hello", to=out, progress=lambda d, t: progress.append((d, t)))
    assert result.bytes_written == 1_000_000 == out.stat().st_size
    assert result.content_type == "audio/mpeg" and result.path == out
    assert progress[-1] == (1_000_000, 1_000_000) and len(progress) >= 16
    assert list(tmp_path.iterdir()) == [out]  # no .part left behind


def test_speak_to_writer() -> None:
    client = make_client(lambda r: httpx.Response(200, headers={"Content-Type": "audio/wav"}, content=b"RIFF1234"))
    buf = io.BytesIO()
    result = client.pipeline.speak(text="Hi", to=buf)
    assert buf.getvalue() == b"RIFF1234" and result.path is None


def test_speak_rejects_non_audio(tmp_path: Path) -> None:
    client = make_client(lambda r: httpx.Response(200, json={"success": True, "data": {}}))
    out = tmp_path / "o.mp3"
    with pytest.raises(APIResponseError, match="expected an audio/\\* body, got application/json"):
        client.pipeline.speak(text="Hi", to=out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_speak_dropped_midway_leaves_no_file(tmp_path: Path) -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"ID3" + b"\x00" * 1000
            raise httpx.RemoteProtocolError("peer closed")

    client = make_client(lambda r: httpx.Response(200, headers={"Content-Type": "audio/mpeg"}, stream=Broken()))
    out = tmp_path / "o.mp3"
    from tinytalk_sdk import APIConnectionError

    with pytest.raises(APIConnectionError, match="lost the connection"):
        client.pipeline.speak(text="Hi", to=out)
    assert list(tmp_path.iterdir()) == []


def test_async_transcribe_and_speak(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("stt_upload.php"):
            assert path.read_bytes() in request.read()
            return ok({"text": "hi"})
        return httpx.Response(200, headers={"Content-Type": "audio/wav"}, content=b"RIFF" + b"\x00" * 70_000)

    async def main() -> None:
        client = make_async_client(handler)
        assert (await client.pipeline.transcribe(path)).text == "hi"
        res = await client.pipeline.speak(text="Hi", to=tmp_path / "o.wav")
        assert res.bytes_written == 70_004
        with pytest.raises(ValidationError):
            await client.pipeline.transcribe(tmp_path / "missing.wav")
        await client.close()

    asyncio.run(main())


def test_speak_into_a_missing_folder_or_a_failing_writer_is_a_toolkit_error(tmp_path: Path) -> None:
    """Local I/O failures are named, typed errors, never a raw OSError out of the SDK."""
    from tinytalk_sdk import TinyTalkError

    client = make_client(lambda r: httpx.Response(200, headers={"Content-Type": "audio/wav"}, content=b"RIFF1234"))
    with pytest.raises(ValidationError, match=r"no-such-dir.*cannot write the audio"):
        client.pipeline.speak(text="Hi", to=tmp_path / "no-such-dir" / "o.wav")

    class Full(io.RawIOBase):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            raise OSError(28, "No space left on device")

    with pytest.raises(TinyTalkError, match="writing the audio failed \\(No space left on device\\)"):
        client.pipeline.speak(text="Hi", to=Full())

