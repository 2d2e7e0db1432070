// The "Video" tab: one clip sent to POST /api/video as a job, followed at /api/jobs/{id} with
// frames, speed and time left, then its result shown (where the browser plays it) and downloaded.
'use strict';

import { $, PlainError, errorText, formatBytes, request, send, sleep, stem } from './common.js';
import { saveBlob } from './export.js';

const POLL_MS = 1000;
const EXTENSIONS = { webm: 'webm', mov: 'mov', webp: 'webp', gif: 'gif', 'mp4-colour': 'mp4', 'mp4-mask': 'mp4' };

// `run` counts the clips sent: a newer clip, or Stop, makes an older run's answers stale.
const state = { run: 0, id: null, result: null, name: '', working: false };

export function videoWorking() {
  return state.working;
}

// The form fields of the choice in "Make".
function fields() {
  const choice = $('#video-format').value;
  if (choice === 'mp4-colour') return { format: 'mp4', bg: $('#video-colour').value };
  if (choice === 'mp4-mask') return { format: 'mp4', mask: 'true' };
  return { format: choice };
}

function setStatus(text, failed = false) {
  $('#video-status').textContent = text;
  $('#video-status').classList.toggle('failed', failed);
}

function seconds(value) {
  return value < 90 ? `${Math.round(value)} s` : `${Math.round(value / 60)} min`;
}

// What a job's status says, in words.
function progressInWords(job) {
  if (job.status === 'queued') return job.place ? `Waiting: ${job.place} clip(s) ahead` : 'Starting…';
  const of = job.total_frames ? ` of ${job.total_frames}` : '';
  const speed = job.fps ? ` · ${job.fps.toFixed(1)} frames a second` : '';
  const left = job.eta_seconds != null ? ` · about ${seconds(job.eta_seconds)} left` : '';
  return `Frame ${job.frames}${of}${speed}${left}`;
}

// Follows the job until it ends (its final status) or the run is stale (null).
async function follow(id, run) {
  for (;;) {
    if (run !== state.run) return null;
    const answer = await request(`api/jobs/${id}`, { cache: 'no-store' });
    if (!answer.ok) throw new PlainError('The server no longer has this clip. Send it again.');
    const job = await answer.json();
    if (job.status === 'done' || job.status === 'failed' || job.status === 'cancelled') return job;
    $('#video-bar').value = job.total_frames ? job.frames / job.total_frames : null;
    setStatus(progressInWords(job));
    await sleep(POLL_MS);
  }
}

function showResult(blob, type) {
  const stage = $('#video-stage');
  stage.replaceChildren();
  if (type.startsWith('image/') || document.createElement('video').canPlayType(type)) {
    const url = URL.createObjectURL(blob);
    const media = type.startsWith('image/') ? document.createElement('img') : document.createElement('video');
    media.src = url;
    if (media instanceof HTMLVideoElement) Object.assign(media, { controls: true, loop: true, muted: true, autoplay: true, playsInline: true });
    else media.alt = 'The cut-out';
    stage.append(media);
  }
  stage.hidden = !stage.childElementCount;
  $('#video-result').hidden = false;
}

async function cutOut(file, onActivity) {
  const run = ++state.run;
  state.id = null;
  state.working = true;
  $('#video-result').hidden = true;
  $('#video-progress').hidden = false;
  $('#video-bar').value = 0;
  onActivity();
  const started = performance.now();
  try {
    const accepted = await send('api/video', file, fields(), (phase, value) => {
      if (phase === 'upload') setStatus(value < 1 ? `Uploading ${Math.round(value * 100)}%` : 'Checking the clip…');
      else setStatus(phase === 'loading' ? 'Waiting for the model to load…' : `The server is busy; trying again in ${value} s…`);
    }, { field: 'video' });
    const { id } = JSON.parse(await accepted.text());
    if (run !== state.run) {  // stopped while it was sent
      await request(`api/jobs/${id}`, { method: 'DELETE' });
      return;
    }
    state.id = id;
    const job = await follow(id, run);
    if (!job) return;
    if (job.status === 'failed') throw new PlainError(`This clip could not be cut out: ${job.error.message}.`);
    if (job.status === 'cancelled') return;
    const answer = await request(`api/jobs/${id}/result`);
    if (!answer.ok) throw new PlainError('The result could not be fetched. Send the clip again.');
    state.result = await answer.blob();
    state.name = `${stem(file.name)}-cutout.${EXTENSIONS[$('#video-format').value]}`;
    showResult(state.result, answer.headers.get('Content-Type') || '');
    setStatus(`Done in ${seconds((performance.now() - started) / 1000)}: ${job.frames} frames, ` +
              `${formatBytes(state.result.size)}`);
  } catch (error) {
    if (run !== state.run) return;
    const notVideo = error instanceof PlainError && error.code === 'unsupported_format';
    setStatus(notVideo ? 'This file is not a video rmbg can open. Use an MP4, MOV, WebM, MKV or AVI clip.' : errorText(error), true);
  } finally {
    if (run === state.run) {
      $('#video-progress').hidden = true;
      state.working = false;
      onActivity();
    }
  }
}

async function stop(onActivity) {
  state.run++;
  $('#video-progress').hidden = true;
  state.working = false;
  onActivity();
  setStatus('Stopped.');
  if (state.id) await request(`api/jobs/${state.id}`, { method: 'DELETE' });
}

export function setVideoFile(file, onActivity) {
  if (file) cutOut(file, onActivity);
}

export function setUpVideo(pickFilesThrough, onActivity) {
  pickFilesThrough($('#video-drop'), $('#video-picker'), (files) => setVideoFile(files[0], onActivity));
  $('#video-format').addEventListener('change', () => {
    $('#video-colour-field').hidden = $('#video-format').value !== 'mp4-colour';
  });
  $('#video-options').addEventListener('submit', (event) => event.preventDefault());
  $('#video-cancel').addEventListener('click', () => stop(onActivity));
  $('#video-download').addEventListener('click', () => saveBlob(state.result, state.name));
}
