package controller

import (
	"math"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
)

// settleTime is how long a stream of targets must stay within the deadband
// of one point before the arm counts as still there (docs/protocol.md §11,
// "Still means still").
const settleTime = 200 * time.Millisecond

// deadband keeps a noisy stream of targets on a still hand from moving the
// servos, with hysteresis. Moving, every target is followed. Once the
// targets have stayed within radius of one point for settleTime, the arm
// settles on their mean and is still; from then on a target moves it only
// when the mean of the last five lies more than radius from where it
// rests. Home, park and stop leave the still state.
type deadband struct {
	radius   float64 // mm
	still    bool
	recent   [5]vec    // the last targets, a ring
	n        int       // targets seen; the ring position
	anchorAt time.Time // moving: since when the stream stayed near the mean of its targets
	sum      vec       // of the targets since anchorAt
	count    int
	window   []stamped // moving: the targets of the last settleTime
	// The stream's own velocity, for the trajectory to follow a moving
	// hand without braking onto each 30 Hz sample (zero when still).
	vel    vec           // mm/s, smoothed
	period time.Duration // between the last two targets
	lastAt time.Time     // of the last target
	last   vec
}

// stamped is a target and when it came.
type stamped struct {
	at time.Time
	p  vec
}

func newDeadband(radiusMM float64) deadband { return deadband{radius: radiusMM} }

// reset forgets the stream: the next target is followed.
func (d *deadband) reset() {
	r := d.radius
	*d = deadband{radius: r}
}

// filter takes a commanded target (joints) at now and returns the joints
// the arm should go to, or nil to stay on its current goal (goal, mm).
func (d *deadband) filter(model ik.Model, joints []float64, goal vec, now time.Time) []float64 {
	p, err := model.FK(joints)
	if err != nil {
		return joints
	}
	c := vecOf(p)
	d.trackVelocity(c, now)
	d.recent[d.n%len(d.recent)] = c
	d.n++
	var avg vec // of the last five targets: the noise of one is not a move
	k := min(d.n, len(d.recent))
	for _, r := range d.recent[:k] {
		avg = avg.add(r)
	}
	avg = avg.scale(1 / float64(k))
	if d.still {
		// The targets absorbed so far say where the hand is better than
		// any few of them: judge a move against their mean.
		d.sum, d.count = d.sum.add(c), d.count+1
		ref := goal
		if d.count >= 5 {
			ref = d.sum.scale(1 / float64(d.count))
		}
		if avg.dist(ref) <= d.radius {
			d.vel = vec{}
			return nil
		}
		d.still = false
		d.count = 0
		if d.period > 0 { // the hand has been moving for a few samples: start at its speed
			d.vel = c.sub(avg).scale(1 / (2 * d.period.Seconds()))
		}
	}
	if d.count == 0 || avg.dist(d.sum.scale(1/float64(d.count))) > d.radius {
		d.anchorAt, d.sum, d.count = now, vec{}, 0
	}
	d.sum, d.count = d.sum.add(c), d.count+1
	d.window = append(d.window, stamped{now, c})
	for len(d.window) > 0 && now.Sub(d.window[0].at) > settleTime {
		d.window = d.window[1:]
	}
	if d.count < 3 || now.Sub(d.anchorAt) < settleTime || len(d.window) < 4 {
		return joints
	}
	// Rest on the mean of the last settleTime of targets, once its two
	// halves agree: a hand still creeping to a stop is not still yet.
	half := len(d.window) / 2
	early, late := meanOf(d.window[:half]), meanOf(d.window[half:])
	if early.dist(late) > d.radius*2/3 {
		return joints
	}
	d.still, d.vel, d.sum, d.count = true, vec{}, vec{}, 0
	mean := meanOf(d.window)
	d.window = d.window[:0]
	// The wrist keeps the pitch and roll of the last target: they are the
	// sender's (a joint-space command chose them), not the wrist policy's;
	// the pitch as near to it as the joints allow at the mean.
	roll := 0.0
	if len(joints) > 4 {
		roll = joints[4]
	}
	if q, _, err := model.IKAt(mean.point(), ik.ToolPitch(joints), roll, math.Pi); err == nil {
		return q
	}
	if sol, err := model.IK(mean.point(), ik.Options{}); err == nil {
		return sol.Joints
	}
	return joints
}

// streamGap is the longest gap between two targets that still counts as
// one stream, whose velocity the trajectory follows.
const streamGap = 100 * time.Millisecond

// trackVelocity updates the stream's velocity with target c at now.
func (d *deadband) trackVelocity(c vec, now time.Time) {
	gap := now.Sub(d.lastAt)
	if d.lastAt.IsZero() || gap <= 0 || gap > streamGap {
		d.vel = vec{}
	} else {
		inst := c.sub(d.last).scale(1 / gap.Seconds())
		d.vel = d.vel.add(inst.sub(d.vel).scale(0.25)) // ~100 ms of samples: a hand is smooth, its tracker is not
		d.period = gap
	}
	d.lastAt, d.last = now, c
}

// lead is how far ahead of the last target the stream is expected to be
// at now, and its velocity: the trajectory aims there, so it follows a
// moving hand instead of braking onto each sample. Never more than one
// stream period ahead, and nothing once the stream pauses.
func (d *deadband) lead(now time.Time) (vec, vec) {
	age := now.Sub(d.lastAt)
	if d.still || d.vel == (vec{}) || age < 0 || age > d.period+d.period/2 {
		return vec{}, vec{}
	}
	return d.vel.scale(min(age, d.period).Seconds()), d.vel
}

func meanOf(ws []stamped) vec {
	var sum vec
	for _, w := range ws {
		sum = sum.add(w.p)
	}
	return sum.scale(1 / float64(len(ws)))
}
