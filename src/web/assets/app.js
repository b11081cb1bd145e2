// Progress of a background job (send, move): polls /jobs/{id} until it is done.
const bar = document.getElementById('job-progress');
const message = document.getElementById('job-message');
if (bar) {
  const id = bar.dataset.job;
  const poll = async () => {
    const r = await fetch(`/jobs/${id}`, { credentials: 'same-origin' });
    if (!r.ok) {
      message.textContent = `progress not available (${r.status})`;
      return;
    }
    const j = await r.json();
    bar.max = Math.max(1, j.total);
    bar.value = j.done + j.failed;
    message.textContent = `${j.state}: ${j.message}`;
    bar.dataset.state = j.state;
    if (j.state === 'running') setTimeout(poll, 500);
  };
  void poll();
}
