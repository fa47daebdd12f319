"""The offline providers: real espeak-ng audio, real pocketsphinx recognition, the tutor, the fake avatar."""

from __future__ import annotations

import io
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tinytalk_sdk import ProviderError
from tinytalk_sdk.providers.base import ChatResult, ChatTurn, SpeechToText, TextToSpeech, UsageRecorder
from tinytalk_sdk.providers.bundle import Providers, VideoAvatar
from tinytalk_sdk.providers.offline import (
    EspeakTTS,
    FakeAvatar,
    PocketSphinxSTT,
    TutorChat,
    correct_sentence,
    make_offline_providers,
)
from tinytalk_sdk.server._chat import detect_emotion

SENTENCE = "I like to play soccer with my friends after school"


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tts = EspeakTTS()
    audio = b"".join(tts.stream(SENTENCE).chunks)
    path = tmp_path_factory.mktemp("speech") / "sentence.wav"
    path.write_bytes(audio)
    return path


def test_bundle_satisfies_the_protocols() -> None:
    bundle = make_offline_providers()
    assert isinstance(bundle, Providers)
    assert isinstance(bundle.stt, SpeechToText) and isinstance(bundle.tts, TextToSpeech)
    assert isinstance(bundle.avatar, VideoAvatar)
    # One recorder for the four slots: one place to point at a database.
    slots = (bundle.stt, bundle.chat, bundle.tts, bundle.avatar)
    assert len({id(getattr(p, "recorder", None)) for p in slots}) == 1


def test_espeak_makes_a_real_wav_with_speech(speech_wav: Path) -> None:
    raw = speech_wav.read_bytes()
    with wave.open(io.BytesIO(raw)) as w:  # the stdlib parser checks the RIFF/data sizes we fixed
        frames, rate = w.getnframes(), w.getframerate()
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
    assert 2.0 < frames / rate < 6.0
    data, _ = soundfile.read(speech_wav)
    rms = float(np.sqrt(np.mean(np.square(data))))
    voiced = float(np.mean(np.abs(data) > 0.05))
    assert rms > 0.02 and voiced > 0.1  # speech, not silence or a click


def test_espeak_streams_in_chunks_and_records_usage() -> None:
    recorder = UsageRecorder()
    tts = EspeakTTS(chunk_size=4096, recorder=recorder)
    stream = tts.stream("Hello there")
    chunks = list(stream.chunks)
    assert stream.content_type == "audio/wav" and len(chunks) > 2 and all(len(c) <= 4096 for c in chunks)
    (entry,) = recorder.entries
    assert (entry.service, entry.operation, entry.characters) == ("offline", "tts", 11)
    assert entry.audio_seconds and entry.audio_seconds > 0.3


def test_espeak_runner_is_injectable_and_text_goes_through_stdin() -> None:
    seen: list[tuple[list[str], bytes]] = []
    header = b"RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00\x44\xac\x00\x00" \
             b"\x02\x00\x10\x00data\xff\xff\xff\xff"

    def runner(args: list[str], stdin: bytes) -> bytes:
        seen.append((args, stdin))
        return header + b"\x00\x01" * 100

    tts = EspeakTTS(runner=runner)
    audio = b"".join(tts.stream("-rf /", voice_id="en-us").chunks)
    args, stdin = seen[0]
    assert args[0] == "espeak-ng" and "--stdin" in args and args[args.index("-v") + 1] == "en-us"
    assert stdin == b"-rf /" and "-rf /" not in args
    assert int.from_bytes(audio[4:8], "little") == len(audio) - 8
    assert int.from_bytes(audio[40:44], "little") == 200
    tts.stream("hi", voice_id="21m00Tcm4TlvDq8ikWAM")  # an ElevenLabs id: falls back to the default voice
    assert seen[1][0][seen[1][0].index("-v") + 1] == "en"
    with pytest.raises(ProviderError, match="empty text"):
        tts.stream("   ")


def test_espeak_missing_binary_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="not installed"):
        EspeakTTS(binary="espeak-ng-not-here").stream("hello")


def test_pocketsphinx_hears_espeak_roughly(speech_wav: Path) -> None:
    recorder = UsageRecorder()
    transcript = PocketSphinxSTT(recorder=recorder).transcribe(speech_wav)
    words = set(transcript.text.split())
    # Rough on synthetic speech (see docs/server.md), but words of the sentence come back.
    assert words & set(SENTENCE.lower().split()), transcript.text
    assert transcript.language == "en" and 2.0 < (transcript.duration_seconds or 0) < 6.0
    (entry,) = recorder.entries
    assert entry.operation == "stt" and entry.audio_seconds == transcript.duration_seconds


def test_pocketsphinx_never_invents_words_for_silence(tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    soundfile.write(silent, np.zeros(44100 * 2, dtype="float32"), 44100)
    assert PocketSphinxSTT().transcribe(silent).text == ""


def test_pocketsphinx_resamples_stereo_48k_ogg(tmp_path: Path, speech_wav: Path) -> None:
    data, rate = soundfile.read(speech_wav)
    stereo = tmp_path / "stereo48k.ogg"
    up = np.interp(np.arange(int(len(data) * 48000 / rate)) * rate / 48000, np.arange(len(data)), data)
    soundfile.write(stereo, np.stack([up, up], axis=1), 48000, format="OGG")
    text = PocketSphinxSTT().transcribe(stereo).text
    assert set(text.split()) & set(SENTENCE.lower().split()), text


def test_pocketsphinx_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, speech_wav: Path) -> None:
    with pytest.raises(ProviderError, match="English only"):
        PocketSphinxSTT().transcribe(speech_wav, language="ko")
    garbage = tmp_path / "x.webm"
    garbage.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 100)
    with pytest.raises(ProviderError) as info:
        PocketSphinxSTT().transcribe(garbage)
    assert info.value.code == "unsupported_audio"
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import fails as if not installed
    with pytest.raises(ProviderError, match="pocketsphinx is not installed"):
        PocketSphinxSTT().transcribe(speech_wav)


@pytest.mark.parametrize(
    ("said", "fixed"),
    [
        ("I goed to the zoo", "I went to the zoo"),
        ("he go to school", "He goes to school"),
        ("she have two cat", "She has two cat"),
        ("i eated three mouses", "I ate three mice"),
        ("they was happy", "They were happy"),
        ("my bike is more better", "My bike is better"),
    ],
)
def test_tutor_corrections(said: str, fixed: str) -> None:
    assert correct_sentence(said)[0] == fixed


def test_tutor_replies_emotions_and_streaming() -> None:
    recorder = UsageRecorder()
    tutor = TutorChat(recorder=recorder)
    cases = {
        "I goed to the park": "review",
        "Hello!": "praise",
        "What is your name?": "thinking",
        "I played football with my dad": "praise",
        "dog": "thinking",
    }
    for said, emotion in cases.items():
        text, picked = tutor.reply([ChatTurn("user", said)])
        assert picked == emotion, said
        assert detect_emotion(text) == emotion, text  # the server reads the same emotion off the text
        result = ChatResult(text="")
        chunks = list(tutor.stream([ChatTurn("system", "be kind"), ChatTurn("user", said)], result=result))
        assert "".join(chunks) == text == result.text and len(chunks) == len(text.split(" "))
        assert result.input_tokens and result.output_tokens == -(-len(text) // 4)
    assert tutor.reply([ChatTurn("user", "I goed home")]) == tutor.reply([ChatTurn("user", "I goed home")])
    assert [e.operation for e in recorder.entries] == ["chat_stream"] * len(cases)
    summary = tutor.complete([ChatTurn("system", "Please summarize"), ChatTurn("user", "user: I goed home\n"
                                                                                        "assistant: ok")],
                             operation="summary")
    assert "goed" in summary.text and "1 sentence" in summary.text
    assert recorder.entries[-1].operation == "summary"


def test_tutor_stream_closed_early_records_what_was_sent() -> None:
    recorder = UsageRecorder()
    stream = TutorChat(recorder=recorder).stream([ChatTurn("user", "I played football with my dad")])
    next(stream)
    stream.close()  # type: ignore[attr-defined]  # a generator, typed as an Iterator by the protocol
    (entry,) = recorder.entries
    assert entry.status == "error" and entry.output_tokens == 2  # "Great" = 5 chars → 2 tokens


def test_fake_avatar_lifecycle_and_minutes() -> None:
    now = [100.0]
    recorder = UsageRecorder()
    avatar = FakeAvatar(clock=lambda: now[0], recorder=recorder)
    made = avatar.create_session(avatar_id="Anna")
    assert made.session_id == "offline-000001" and made.avatar_id == "Anna"
    with pytest.raises(ProviderError):
        avatar.speak(made.session_id, "too early")  # not started
    avatar.start_session(made.session_id, sdp={"type": "offer", "sdp": "v=0"})
    avatar.send_ice(made.session_id, {"candidate": "c"})
    assert avatar.speak(made.session_id, "one two three four five").duration_ms == 2000
    now[0] += 90
    stop = avatar.stop_session(made.session_id)
    assert stop.duration_seconds == 90 and stop.session_minutes == 1.5
    assert [e.operation for e in recorder.entries] == ["heygen_new", "heygen_task", "heygen_start",
                                                       "heygen_ice", "heygen_task", "heygen_stop"]
    assert recorder.entries[1].status == "error" and recorder.entries[-1].session_minutes == 1.5
    with pytest.raises(ProviderError):
        avatar.stop_session("offline-999999")


def test_pocketsphinx_says_nothing_for_faint_noise(tmp_path: Path) -> None:
    noise = tmp_path / "hiss.wav"
    rng = np.random.default_rng(7)
    soundfile.write(noise, (rng.standard_normal(16000 * 2) * 0.002).astype("float32"), 16000)
    assert PocketSphinxSTT().transcribe(noise).text == ""
