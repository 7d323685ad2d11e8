package urdf

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
)

// The URDF (and ros2_control / Gazebo extension) elements we write.

type robot struct {
	XMLName xml.Name     `xml:"robot"`
	Name    string       `xml:"name,attr"`
	Comment xml.Comment  `xml:",comment"`
	Links   []urdfLink   `xml:"link"`
	Joints  []urdfJoint  `xml:"joint"`
	Control *ros2Control `xml:"ros2_control"`
	Gazebo  *gazebo      `xml:"gazebo"`
}

type urdfLink struct {
	Name      string    `xml:"name,attr"`
	Inertial  *inertial `xml:"inertial"`
	Visual    *shape    `xml:"visual"`
	Collision *shape    `xml:"collision"`
}

type shape struct {
	Origin   pose     `xml:"origin"`
	Geometry geometry `xml:"geometry"`
}

type geometry struct {
	Cylinder *cylinder `xml:"cylinder"`
	Box      *box      `xml:"box"`
}

type cylinder struct {
	Radius float64 `xml:"radius,attr"`
	Length float64 `xml:"length,attr"`
}

type box struct {
	Size string `xml:"size,attr"`
}

type inertial struct {
	Origin  pose    `xml:"origin"`
	Mass    mass    `xml:"mass"`
	Inertia inertia `xml:"inertia"`
}

type mass struct {
	Value float64 `xml:"value,attr"`
}

type inertia struct {
	Ixx float64 `xml:"ixx,attr"`
	Ixy float64 `xml:"ixy,attr"`
	Ixz float64 `xml:"ixz,attr"`
	Iyy float64 `xml:"iyy,attr"`
	Iyz float64 `xml:"iyz,attr"`
	Izz float64 `xml:"izz,attr"`
}

type urdfJoint struct {
	Name     string    `xml:"name,attr"`
	Type     string    `xml:"type,attr"`
	Parent   ref       `xml:"parent"`
	Child    ref       `xml:"child"`
	Origin   pose      `xml:"origin"`
	Axis     *xyzAttr  `xml:"axis"`
	Limit    *limit    `xml:"limit"`
	Dynamics *dynamics `xml:"dynamics"`
}

type ref struct {
	Link string `xml:"link,attr"`
}

type xyzAttr struct {
	XYZ string `xml:"xyz,attr"`
}

type limit struct {
	Lower    float64 `xml:"lower,attr"`
	Upper    float64 `xml:"upper,attr"`
	Effort   float64 `xml:"effort,attr"`
	Velocity float64 `xml:"velocity,attr"`
}

type dynamics struct {
	Damping  float64 `xml:"damping,attr"`
	Friction float64 `xml:"friction,attr"`
}

// pose is an <origin>; written as xyz="x y z" rpy="r p y".
type pose struct {
	XYZ [3]float64
	RPY [3]float64
}

// MarshalXML writes the origin with full float precision.
func (p pose) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = []xml.Attr{{Name: xml.Name{Local: "xyz"}, Value: vec(p.XYZ)}, {Name: xml.Name{Local: "rpy"}, Value: vec(p.RPY)}}
	return e.EncodeElement(struct{}{}, start)
}

func vec(v [3]float64) string {
	s := make([]string, 3)
	for i, x := range v {
		if x == 0 {
			x = 0 // no "-0"
		}
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, " ")
}

type ros2Control struct {
	Name     string     `xml:"name,attr"`
	Type     string     `xml:"type,attr"`
	Hardware hardware   `xml:"hardware"`
	Joints   []ctlJoint `xml:"joint"`
}

type hardware struct {
	Plugin string `xml:"plugin"`
}

type ctlJoint struct {
	Name    string  `xml:"name,attr"`
	Command []iface `xml:"command_interface"`
	State   []iface `xml:"state_interface"`
}

type iface struct {
	Name   string  `xml:"name,attr"`
	Params []param `xml:"param"`
}

type param struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type gazebo struct {
	Plugin *gzPlugin `xml:"plugin"`
}

type gzPlugin struct {
	Filename   string `xml:"filename,attr"`
	Name       string `xml:"name,attr"`
	Parameters string `xml:"parameters,omitempty"`
	ROS        *gzROS `xml:"ros"`
}

type gzROS struct {
	Namespace string `xml:"namespace"`
}

// Geometry helpers: a link's shape points along one of its axes.
type axis int

const (
	axisX axis = iota
	axisZ
)

// cylinderLink is a solid cylinder of the given radius and length (m)
// from the link origin along ax, with its mass and inertia.
func cylinderLink(name string, radius, length float64, ax axis) urdfLink {
	length = max(length, minLength)
	m := max(density*math.Pi*radius*radius*length, minMass)
	along := m * radius * radius / 2
	across := m * (3*radius*radius + length*length) / 12
	var o pose
	in := inertia{Ixx: across, Iyy: across, Izz: along}
	if ax == axisX {
		o = pose{XYZ: [3]float64{length / 2, 0, 0}, RPY: [3]float64{0, math.Pi / 2, 0}}
		in = inertia{Ixx: along, Iyy: across, Izz: across}
	} else {
		o = pose{XYZ: [3]float64{0, 0, length / 2}}
	}
	sh := &shape{Origin: o, Geometry: geometry{Cylinder: &cylinder{Radius: radius, Length: length}}}
	// The inertia tensor is given in the link's axes (rpy 0), at the centre of mass.
	return urdfLink{Name: name, Visual: sh, Collision: sh,
		Inertial: &inertial{Origin: pose{XYZ: o.XYZ}, Mass: mass{m}, Inertia: in}}
}

// boxLink is a solid box of size (m) centred at c.
func boxLink(name string, size, c [3]float64) urdfLink {
	m := max(density*size[0]*size[1]*size[2], minMass)
	sq := func(v float64) float64 { return v * v }
	sh := &shape{Origin: pose{XYZ: c}, Geometry: geometry{Box: &box{Size: vec(size)}}}
	return urdfLink{Name: name, Visual: sh, Collision: sh, Inertial: &inertial{Origin: pose{XYZ: c}, Mass: mass{m},
		Inertia: inertia{Ixx: m * (sq(size[1]) + sq(size[2])) / 12, Iyy: m * (sq(size[0]) + sq(size[2])) / 12,
			Izz: m * (sq(size[0]) + sq(size[1])) / 12}}}
}
